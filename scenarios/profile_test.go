package scenarios

import (
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFollowTheSunRates(t *testing.T) {
	// us-east1 is UTC-5. A day of 24 simulated minutes in 24 steps: step k
	// covers [k, k+1) minutes and is evaluated at UTC hour k + 0.5, local
	// hour k - 4.5. Rate = 30 + 270 * (1 + cos(2π (h - 14)/24)) / 2.
	w := Workload{Region: "us-east1", Table: "kv", Profile: &Profile{
		Kind: ProfileFollowTheSun, PeakRate: 300, BaseRate: 30, Day: 24 * time.Minute,
	}}
	rate0, steps, err := w.RateSchedule(30 * time.Minute)
	require.NoError(t, err)
	// Step 0: local 19.5 h, 5.5 h after the peak.
	assert.InDelta(t, 30+270*(1+math.Cos(2*math.Pi*5.5/24))/2, rate0, 1e-9)
	require.Len(t, steps, 29, "a step every minute from 1m to 29m")
	assert.Equal(t, time.Minute, steps[0].At)
	assert.Equal(t, 29*time.Minute, steps[28].At)
	// Steps 18 and 19 straddle the local peak (13.5 h and 14.5 h).
	assert.InDelta(t, 30+270*(1+math.Cos(2*math.Pi*0.5/24))/2, steps[17].Rate, 1e-9)
	assert.InDelta(t, steps[17].Rate, steps[18].Rate, 1e-9)
	// Step 6 is 12 hours from the peak's midpoint: local 1.5 h, 12.5 h
	// away, close to the base rate.
	assert.InDelta(t, 30+270*(1+math.Cos(2*math.Pi*12.5/24))/2, steps[5].Rate, 1e-9)
	// The next day repeats: step 24 equals step 0.
	assert.InDelta(t, rate0, steps[23].Rate, 1e-9)

	// europe-west1 (UTC+1) peaks 6 hours earlier in UTC than us-east1.
	eu := w
	eu.Region = "europe-west1"
	_, euSteps, err := eu.RateSchedule(30 * time.Minute)
	require.NoError(t, err)
	assert.InDelta(t, steps[17].Rate, euSteps[11].Rate, 1e-9)

	// An explicit offset and peak hour win over the region's.
	off, peak := 0*time.Hour, 0.5
	w.Profile.UTCOffset, w.Profile.PeakHour = &off, &peak
	rate0, _, err = w.RateSchedule(time.Minute)
	require.NoError(t, err)
	assert.InDelta(t, 300, rate0, 1e-9, "local 0.5 h is the peak")

	// Without a profile the rate and schedule are passed through.
	plain := Workload{Rate: 7, Schedule: []Step{{At: time.Second, Rate: 3}}}
	r, st, err := plain.RateSchedule(time.Hour)
	require.NoError(t, err)
	assert.Equal(t, 7.0, r)
	assert.Equal(t, plain.Schedule, st)
}

func TestProfileValidation(t *testing.T) {
	base := `
duration: 10m
tables: [{name: kv, locality: none}]
workload:
  - region: us-east1
    table: kv
`
	tests := []struct {
		name, profile, want string
	}{
		{"kind", "{kind: moonlight, peak_rate: 10}", `workload[0].profile.kind: unknown "moonlight"`},
		{"with rate", "{kind: follow-the-sun, peak_rate: 10}\n    rate: 5", "workload[0].profile: set with rate or schedule"},
		{"peak rate", "{kind: follow-the-sun, peak_rate: 0}", "workload[0].profile.peak_rate: 0 is out of range"},
		{"base rate", "{kind: follow-the-sun, peak_rate: 10, base_rate: 11}", "workload[0].profile.base_rate: 11 is out of range [0, peak_rate 10]"},
		{"peak hour", "{kind: follow-the-sun, peak_rate: 10, peak_hour: 24}", "workload[0].profile.peak_hour: 24 is out of range [0, 24)"},
		{"start hour", "{kind: follow-the-sun, peak_rate: 10, start_hour: -1}", "workload[0].profile.start_hour: -1 is out of range"},
		{"day", "{kind: follow-the-sun, peak_rate: 10, day: 10ms}", "workload[0].profile.day: 10ms is out of range"},
		{"steps", "{kind: follow-the-sun, peak_rate: 10, steps_per_day: 2000}", "workload[0].profile.steps_per_day: 2000 is out of range"},
		{"offset", "{kind: follow-the-sun, peak_rate: 10, utc_offset: 15h}", "workload[0].profile.utc_offset: 15h0m0s is out of range"},
		{"too many steps", "{kind: follow-the-sun, peak_rate: 10, day: 1s, steps_per_day: 1440}", "workload[0].profile: profile: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(base+"    profile: "+tt.profile+"\n"), "p.yaml")
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalid)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	// A CSV topology with unknown region names needs an explicit offset.
	csv := t.TempDir() + "/abc.csv"
	require.NoError(t, os.WriteFile(csv, []byte("a,b,10\na,c,20\nb,c,30\n"), 0o644))
	abc := strings.Replace(strings.Replace(base, "duration: 10m", "duration: 10m\ntopology: {rtt: "+csv+"}", 1), "us-east1", "a", 1)
	_, err := Parse([]byte(abc+"    profile: {kind: follow-the-sun, peak_rate: 10}\n"), "p.yaml")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `workload[0].profile.utc_offset: missing, and region "a" has no known time zone`)
	_, err = Parse([]byte(abc+"    profile: {kind: follow-the-sun, peak_rate: 10, utc_offset: 3h}\n"), "p.yaml")
	require.NoError(t, err)

	s, err := Parse([]byte(base+"    profile: {kind: follow-the-sun, peak_rate: 10, day: 2m}\n"), "p.yaml")
	require.NoError(t, err)
	res, err := Run(s)
	require.NoError(t, err)
	assert.Greater(t, res.Requests, uint64(100))
}

func TestRegionUTCOffset(t *testing.T) {
	for region, want := range map[string]time.Duration{
		"us-east1": -5 * time.Hour, "europe-west1": time.Hour, "ap-south-1": 5*time.Hour + 30*time.Minute,
		"eastus": -5 * time.Hour, "eu-central-1": time.Hour, "us-west-2": -8 * time.Hour,
	} {
		got, ok := RegionUTCOffset(region)
		assert.True(t, ok, region)
		assert.Equal(t, want, got, region)
	}
	_, ok := RegionUTCOffset("mars-north1")
	assert.False(t, ok)
}
