package scenarios

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// ProfileFollowTheSun is the only Profile kind: a daily demand curve that
// peaks at the same local hour in every region, so demand moves around the
// globe with the time of day.
const ProfileFollowTheSun = "follow-the-sun"

// Defaults of a follow-the-sun Profile.
const (
	DefaultPeakHour    = 14.0           // local time of the daily peak
	DefaultDay         = 24 * time.Hour // one simulated day: no time compression
	DefaultStepsPerDay = 24             // the rate changes every (simulated) hour
	maxProfileSteps    = 100_000
)

// Profile generates a workload's rate over simulated time instead of Rate
// and Schedule. A follow-the-sun profile gives the clients of a region
//
//	rate(h) = base + (peak − base) · (1 + cos(2π·(h − peak_hour)/24)) / 2
//
// at local hour h, held constant for each of StepsPerDay steps (evaluated at
// the step's midpoint). Day compresses time: with day: 24m a simulated
// minute stands for an hour.
type Profile struct {
	// Kind is ProfileFollowTheSun.
	Kind string `yaml:"kind"`
	// PeakRate is the rate at the local peak hour, requests/s; > 0.
	PeakRate float64 `yaml:"peak_rate"`
	// BaseRate is the rate twelve hours from the peak, requests/s; in
	// [0, PeakRate].
	BaseRate float64 `yaml:"base_rate"`
	// PeakHour is the local hour of the peak, in [0, 24); nil means
	// DefaultPeakHour.
	PeakHour *float64 `yaml:"peak_hour"`
	// UTCOffset is the clients' time zone (e.g. -5h); nil means the standard
	// time of the workload's region (RegionUTCOffset).
	UTCOffset *time.Duration `yaml:"utc_offset"`
	// Day is the simulated length of one day; 0 means DefaultDay.
	Day time.Duration `yaml:"day"`
	// StepsPerDay is how many times a day the rate changes; 0 means
	// DefaultStepsPerDay.
	StepsPerDay int `yaml:"steps_per_day"`
	// StartHour is the UTC hour at the start of the run, in [0, 24).
	StartHour float64 `yaml:"start_hour"`
}

// regionUTCOffsets holds the standard-time UTC offset, in hours, of cloud
// regions by name (GCP, AWS and Azure names of the presets).
var regionUTCOffsets = map[string]float64{
	// GCP
	"us-east1": -5, "us-east4": -5, "us-east5": -5, "us-central1": -6, "us-south1": -6,
	"us-west1": -8, "us-west2": -8, "us-west3": -7, "us-west4": -8,
	"northamerica-northeast1": -5, "northamerica-northeast2": -5, "southamerica-east1": -3,
	"europe-west1": 1, "europe-west2": 0, "europe-west3": 1, "europe-west4": 1, "europe-west6": 1,
	"europe-north1": 2, "europe-central2": 1, "asia-east1": 8, "asia-east2": 8,
	"asia-northeast1": 9, "asia-northeast2": 9, "asia-northeast3": 9, "asia-south1": 5.5,
	"asia-southeast1": 8, "asia-southeast2": 7, "australia-southeast1": 10,
	// AWS
	"us-east-1": -5, "us-east-2": -5, "us-west-1": -8, "us-west-2": -8, "ca-central-1": -5,
	"sa-east-1": -3, "eu-west-1": 0, "eu-west-2": 0, "eu-west-3": 1, "eu-central-1": 1,
	"eu-central-2": 1, "eu-north-1": 1, "eu-south-1": 1, "eu-south-2": 1, "me-south-1": 3,
	"me-central-1": 4, "il-central-1": 2, "af-south-1": 2, "ap-east-1": 8, "ap-south-1": 5.5,
	"ap-south-2": 5.5, "ap-northeast-1": 9, "ap-northeast-2": 9, "ap-northeast-3": 9,
	"ap-southeast-1": 8, "ap-southeast-2": 10, "ap-southeast-3": 7, "ap-southeast-4": 10,
	// Azure
	"eastus": -5, "eastus2": -5, "centralus": -6, "northcentralus": -6, "southcentralus": -6,
	"westus": -8, "westus2": -8, "westus3": -7, "canadacentral": -5, "brazilsouth": -3,
	"westeurope": 1, "northeurope": 0, "uksouth": 0, "ukwest": 0, "francecentral": 1,
	"germanywestcentral": 1, "swedencentral": 1, "switzerlandnorth": 1, "norwayeast": 1,
	"southeastasia": 8, "eastasia": 8, "japaneast": 9, "japanwest": 9, "koreacentral": 9,
	"centralindia": 5.5, "australiaeast": 10, "southafricanorth": 2, "uaenorth": 4,
}

// RegionUTCOffset returns the standard-time UTC offset of a cloud region
// known by name, and whether it is known.
func RegionUTCOffset(region string) (time.Duration, bool) {
	h, ok := regionUTCOffsets[strings.ToLower(region)]
	return time.Duration(h * float64(time.Hour)), ok
}

// validate checks the profile of workload w at path.
func (p *Profile) validate(path string, w Workload) error {
	f := func(field string) string { return path + "." + field }
	switch {
	case p.Kind != ProfileFollowTheSun:
		return fieldErr(f("kind"), "unknown %q (want %s)", p.Kind, ProfileFollowTheSun)
	case w.Rate != 0 || len(w.Schedule) > 0:
		return fieldErr(path, "set with rate or schedule (a profile replaces both)")
	case !(p.PeakRate > 0) || p.PeakRate > MaxRate:
		return fieldErr(f("peak_rate"), "%v is out of range (0, %v]", p.PeakRate, MaxRate)
	case !(p.BaseRate >= 0 && p.BaseRate <= p.PeakRate):
		return fieldErr(f("base_rate"), "%v is out of range [0, peak_rate %v]", p.BaseRate, p.PeakRate)
	case p.PeakHour != nil && !(*p.PeakHour >= 0 && *p.PeakHour < 24):
		return fieldErr(f("peak_hour"), "%v is out of range [0, 24)", *p.PeakHour)
	case !(p.StartHour >= 0 && p.StartHour < 24):
		return fieldErr(f("start_hour"), "%v is out of range [0, 24)", p.StartHour)
	case p.Day != 0 && (p.Day < time.Second || p.Day > 30*24*time.Hour):
		return fieldErr(f("day"), "%v is out of range [1s, 720h]", p.Day)
	case p.StepsPerDay < 0 || p.StepsPerDay > 1440:
		return fieldErr(f("steps_per_day"), "%d is out of range [1, 1440]", p.StepsPerDay)
	case p.UTCOffset != nil && (*p.UTCOffset < -14*time.Hour || *p.UTCOffset > 14*time.Hour):
		return fieldErr(f("utc_offset"), "%v is out of range [-14h, 14h]", *p.UTCOffset)
	}
	if p.UTCOffset == nil {
		if _, ok := RegionUTCOffset(w.Region); !ok {
			return fieldErr(f("utc_offset"), "missing, and region %q has no known time zone (set e.g. utc_offset: -5h)", w.Region)
		}
	}
	return nil
}

// RateSchedule returns the workload's rate at the start of the run and its
// rate changes up to end: Rate and Schedule as given, or those generated by
// its Profile.
func (w Workload) RateSchedule(end time.Duration) (float64, []Step, error) {
	p := w.Profile
	if p == nil {
		return w.Rate, w.Schedule, nil
	}
	day := p.Day
	if day == 0 {
		day = DefaultDay
	}
	steps := p.StepsPerDay
	if steps == 0 {
		steps = DefaultStepsPerDay
	}
	peak := DefaultPeakHour
	if p.PeakHour != nil {
		peak = *p.PeakHour
	}
	offset, _ := RegionUTCOffset(w.Region)
	if p.UTCOffset != nil {
		offset = *p.UTCOffset
	}
	step := day / time.Duration(steps)
	if step <= 0 {
		return 0, nil, fmt.Errorf("profile: day %v split into %d steps is shorter than 1ns", day, steps)
	}
	n := int64(end/step) + 1
	if n > maxProfileSteps {
		return 0, nil, fmt.Errorf("profile: %d rate steps over %v (at most %d; lengthen day or lower steps_per_day)", n, end, maxProfileSteps)
	}
	rateAt := func(k int64) float64 {
		// Local hour at the middle of step k.
		mid := (float64(k) + 0.5) / float64(steps) * 24
		h := math.Mod(p.StartHour+mid+offset.Hours(), 24)
		shape := (1 + math.Cos(2*math.Pi*(h-peak)/24)) / 2
		return p.BaseRate + (p.PeakRate-p.BaseRate)*shape
	}
	var out []Step
	for k := int64(1); time.Duration(k)*step < end; k++ {
		out = append(out, Step{At: time.Duration(k) * step, Rate: rateAt(k)})
	}
	return rateAt(0), out, nil
}
