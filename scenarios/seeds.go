package scenarios

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// DefaultConfidence is the level of the confidence intervals regionsim
// reports over seeds.
const DefaultConfidence = 0.95

// MaxSeeds bounds how many seeds one run or compare takes.
const MaxSeeds = 10_000

// Interval is a two-sided confidence interval, in the unit of the field
// that holds it.
type Interval struct {
	Lo float64 `json:"lo"` // lower bound
	Hi float64 `json:"hi"` // upper bound
}

// Contains reports whether v lies in [Lo, Hi].
func (iv Interval) Contains(v float64) bool { return v >= iv.Lo && v <= iv.Hi }

// HalfWidth returns (Hi - Lo) / 2.
func (iv Interval) HalfWidth() float64 { return (iv.Hi - iv.Lo) / 2 }

// MeanInterval returns the mean of vs and the two-sided Student-t
// confidence interval at level conf for the mean of the quantity vs holds
// one independent draw of per value: mean ± t(1-(1-conf)/2, k-1) · s/√k,
// s the sample standard deviation of the k values. This is the method of
// independent replications: each seed's run is one draw, so the interval
// needs no assumption about how requests inside a run depend on each other
// (they do, through shared leases, queues and faults). It is exact for
// normal draws and close for the per-seed percentiles of runs with many
// requests (they are asymptotically normal). ok is false for fewer than
// two values.
func MeanInterval(vs []float64, conf float64) (mean float64, iv Interval, ok bool) {
	k := len(vs)
	if k == 0 {
		return 0, Interval{}, false
	}
	for _, v := range vs {
		mean += v
	}
	mean /= float64(k)
	if k < 2 {
		return mean, Interval{mean, mean}, false
	}
	var ss float64
	for _, v := range vs {
		ss += (v - mean) * (v - mean)
	}
	sd := math.Sqrt(ss / float64(k-1))
	h := tQuantile(conf, float64(k-1)) * sd / math.Sqrt(float64(k))
	return mean, Interval{mean - h, mean + h}, true
}

// WelchInterval returns the difference of the means of b and a and its
// Welch (unequal variances, unpaired) confidence interval at level conf:
// the interval the difference would have if the runs of a and b shared
// no random numbers. ok is false unless both have two values or more.
func WelchInterval(a, b []float64, conf float64) (diff float64, iv Interval, ok bool) {
	ma, _, oka := MeanInterval(a, conf)
	mb, _, okb := MeanInterval(b, conf)
	diff = mb - ma
	if !oka || !okb {
		return diff, Interval{diff, diff}, false
	}
	va, vb := variance(a, ma)/float64(len(a)), variance(b, mb)/float64(len(b))
	se := math.Sqrt(va + vb)
	if se == 0 {
		return diff, Interval{diff, diff}, true
	}
	// Welch–Satterthwaite degrees of freedom.
	df := (va + vb) * (va + vb) / (va*va/float64(len(a)-1) + vb*vb/float64(len(b)-1))
	h := tQuantile(conf, df) * se
	return diff, Interval{diff - h, diff + h}, true
}

func variance(vs []float64, mean float64) float64 {
	var ss float64
	for _, v := range vs {
		ss += (v - mean) * (v - mean)
	}
	return ss / float64(len(vs)-1)
}

// tQuantile returns the two-sided critical value of Student's t with df
// degrees of freedom at level conf.
func tQuantile(conf, df float64) float64 {
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(1 - (1-conf)/2)
}

// SeedStat is one table × op × client region over several seeds: the Stat
// of every seed's requests pooled (histograms merged exactly), and for the
// mean and each percentile the confidence interval of its per-seed value
// (MeanInterval). An interval is null with fewer than two seeds with
// requests, or when a seed has fewer requests than the percentile needs
// (MinRequestsFor: 100 for p99), whose value is then its few slowest
// requests rather than an estimate of the percentile.
type SeedStat struct {
	Stat
	// Runs counts the seeds whose run had requests of this stat.
	Runs   int       `json:"runs"`
	MeanCI *Interval `json:"mean_ci_ms"`
	P50CI  *Interval `json:"p50_ci_ms"`
	P90CI  *Interval `json:"p90_ci_ms"`
	P99CI  *Interval `json:"p99_ci_ms"`
	P999CI *Interval `json:"p999_ci_ms"`
}

// SeedFault is one fault × table locality (FaultImpact) over several
// seeds: each seed's longest range outage and its errors, their mean and
// confidence interval.
type SeedFault struct {
	// Fault names the fault, as in FaultImpact.
	Fault string `json:"fault"`
	// Locality is the table locality the figures are of.
	Locality string `json:"locality"`
	Runs     int    `json:"runs"` // seeds whose run had this fault and locality
	// MaxUnavailableS is the mean over seeds of the longest range
	// outage, seconds; MaxUnavailableCI its interval.
	MaxUnavailableS  float64   `json:"max_unavailable_s"`
	MaxUnavailableCI *Interval `json:"max_unavailable_ci_s"`
	// Errors is the mean over seeds of the requests that failed during
	// the fault; ErrorsCI its interval.
	Errors   float64   `json:"errors"`
	ErrorsCI *Interval `json:"errors_ci"`
}

// SeedSummary summarises runs of one scenario configuration over several
// seeds (SummariseSeeds).
type SeedSummary struct {
	// Scenario names the scenario run.
	Scenario string `json:"scenario"`
	Survival string `json:"survival"` // zone, region or none
	// Variant is the setting compare --vary gave the runs
	// ("voters=5"); absent otherwise.
	Variant string   `json:"variant,omitempty"`
	Seeds   []uint64 `json:"seeds"` // the runs' seeds, in run order
	// Confidence is the level of every interval, e.g. 0.95.
	Confidence float64 `json:"confidence"`
	// Stats are per table × op × client region, pooled, with intervals.
	Stats []SeedStat `json:"stats"`
	// Faults are per fault × table locality, with intervals.
	Faults []SeedFault `json:"faults"`
}

// statKey names a table × op × client region.
type statKey struct{ table, op, region string }

// SummariseSeeds pools runs of one configuration (one per seed, in seed
// order) and puts a confidence interval at level conf around each mean
// and percentile and each fault's outage and errors. Stats are in
// PoolStats order, faults in the first run's FaultImpacts order.
func SummariseSeeds(runs []*Result, conf float64) SeedSummary {
	out := SeedSummary{Confidence: conf, Stats: []SeedStat{}, Faults: []SeedFault{}, Seeds: []uint64{}}
	if len(runs) > 0 {
		out.Scenario, out.Survival, out.Variant = runs[0].Scenario, runs[0].Survival, runs[0].Variant
	}
	for _, r := range runs {
		out.Seeds = append(out.Seeds, r.Seed)
	}
	per := perSeedStats(runs)
	for _, st := range PoolStats(runs) {
		ss := SeedStat{Stat: st}
		vals := per[statKey{st.Table, st.Op, st.ClientRegion}]
		ss.Runs = len(vals)
		for _, f := range []struct {
			dst **Interval
			q   float64 // the quantile, 0 for the mean
			get func(Stat) float64
		}{
			{&ss.MeanCI, 0, func(s Stat) float64 { return s.MeanMs }},
			{&ss.P50CI, 0.5, func(s Stat) float64 { return s.P50Ms }},
			{&ss.P90CI, 0.9, func(s Stat) float64 { return s.P90Ms }},
			{&ss.P99CI, 0.99, func(s Stat) float64 { return s.P99Ms }},
			{&ss.P999CI, 0.999, func(s Stat) float64 { return s.P999Ms }},
		} {
			if enoughPerSeed(vals, f.q) {
				*f.dst = intervalOf(vals, f.get, conf)
			}
		}
		out.Stats = append(out.Stats, ss)
	}
	type fkey struct{ fault, locality string }
	var order []fkey
	outage, errs := map[fkey][]float64{}, map[fkey][]float64{}
	for _, r := range runs {
		for _, im := range r.FaultImpacts() {
			k := fkey{im.Fault, im.Locality}
			if _, ok := outage[k]; !ok {
				order = append(order, k)
			}
			outage[k] = append(outage[k], im.MaxUnavailableS)
			errs[k] = append(errs[k], float64(im.Errors))
		}
	}
	for _, k := range order {
		f := SeedFault{Fault: k.fault, Locality: k.locality, Runs: len(outage[k])}
		mean, outageCI, ok := MeanInterval(outage[k], conf)
		f.MaxUnavailableS = mean
		if ok {
			f.MaxUnavailableCI = &outageCI
		}
		mean, errsCI, ok := MeanInterval(errs[k], conf)
		f.Errors = mean
		if ok {
			f.ErrorsCI = &errsCI
		}
		out.Faults = append(out.Faults, f)
	}
	return out
}

// perSeedStats returns, per table × op × client region, each run's Stat
// with requests, in run order.
func perSeedStats(runs []*Result) map[statKey][]Stat {
	per := map[statKey][]Stat{}
	for _, r := range runs {
		for _, st := range r.Stats {
			if st.Count > 0 {
				k := statKey{st.Table, st.Op, st.ClientRegion}
				per[k] = append(per[k], st)
			}
		}
	}
	return per
}

// MinRequestsFor returns how many requests a seed's run needs for its
// q-quantile to be an estimate of the quantile rather than its largest
// request: 1/(1-q) (2 for the median, 100 for p99, 1000 for p99.9), and
// 2 for the mean (q = 0).
func MinRequestsFor(q float64) uint64 {
	if q <= 0 {
		return 2
	}
	return uint64(math.Ceil(1/(1-q) - 1e-9))
}

// enoughPerSeed reports whether every seed's stat has the requests its
// q-quantile needs (MinRequestsFor).
func enoughPerSeed(stats []Stat, q float64) bool {
	for _, s := range stats {
		if s.Count < MinRequestsFor(q) {
			return false
		}
	}
	return true
}

// intervalOf returns the interval of get over stats, or nil with fewer
// than two.
func intervalOf(stats []Stat, get func(Stat) float64, conf float64) *Interval {
	vs := make([]float64, len(stats))
	for i, s := range stats {
		vs[i] = get(s)
	}
	if _, iv, ok := MeanInterval(vs, conf); ok {
		return &iv
	}
	return nil
}

// SeedDelta is the difference b − a of one percentile of one table × op ×
// client region between two configurations run with the same seeds
// (CompareSeeds): the mean of the per-seed differences, its paired
// confidence interval, and the interval the difference would have
// unpaired (WelchInterval), which shows what the common random numbers
// (the same seed gives both configurations the same arrivals) save.
type SeedDelta struct {
	Table        string `json:"table"`
	Op           string `json:"op"`
	ClientRegion string `json:"client_region"`
	// Percentile is "mean", "p50", "p90", "p99" or "p99.9".
	Percentile string `json:"percentile"`
	// DeltaMs is the mean over seeds of b's value minus a's, ms.
	DeltaMs float64 `json:"delta_ms"`
	// CI is DeltaMs's paired interval (MeanInterval of the per-seed
	// differences), ms; UnpairedCI the Welch interval, ms. Both are null
	// with fewer than two seeds.
	CI         *Interval `json:"ci_ms"`
	UnpairedCI *Interval `json:"unpaired_ci_ms"`
	// Runs is the number of seeds both configurations have requests of
	// this stat in.
	Runs int `json:"runs"`
}

// Significant reports whether the paired interval excludes zero: the
// configurations differ in this percentile at the interval's level.
func (d SeedDelta) Significant() bool { return d.CI != nil && !d.CI.Contains(0) }

// DeltaPercentiles are the percentiles CompareSeeds compares, with their
// names in SeedDelta.Percentile.
var DeltaPercentiles = []struct {
	Name string
	Get  func(Stat) float64
}{
	{"mean", func(s Stat) float64 { return s.MeanMs }},
	{"p50", func(s Stat) float64 { return s.P50Ms }},
	{"p90", func(s Stat) float64 { return s.P90Ms }},
	{"p99", func(s Stat) float64 { return s.P99Ms }},
	{"p99.9", func(s Stat) float64 { return s.P999Ms }},
}

// CompareSeeds returns b − a for every table × op × client region of a
// (in PoolStats order of a, then b's others) and every DeltaPercentiles,
// pairing the runs by seed: a[i] and b[i] must share a seed. Seeds where
// either lacks requests of a stat are left out of that stat's pairs.
func CompareSeeds(a, b []*Result, conf float64) []SeedDelta {
	keys := []statKey{}
	for _, st := range PoolStats(append(slices.Clone(a), b...)) {
		keys = append(keys, statKey{st.Table, st.Op, st.ClientRegion})
	}
	find := func(r *Result, k statKey) (Stat, bool) {
		for _, st := range r.Stats {
			if st.Table == k.table && st.Op == k.op && st.ClientRegion == k.region && st.Count > 0 {
				return st, true
			}
		}
		return Stat{}, false
	}
	var out []SeedDelta
	for _, k := range keys {
		var sa, sb []Stat
		for i := range min(len(a), len(b)) {
			x, okx := find(a[i], k)
			y, oky := find(b[i], k)
			if okx && oky {
				sa, sb = append(sa, x), append(sb, y)
			}
		}
		if len(sa) == 0 {
			continue
		}
		for _, p := range DeltaPercentiles {
			va, vb, d := make([]float64, len(sa)), make([]float64, len(sa)), make([]float64, len(sa))
			for i := range sa {
				va[i], vb[i] = p.Get(sa[i]), p.Get(sb[i])
				d[i] = vb[i] - va[i]
			}
			sd := SeedDelta{Table: k.table, Op: k.op, ClientRegion: k.region, Percentile: p.Name, Runs: len(sa)}
			mean, paired, ok := MeanInterval(d, conf)
			sd.DeltaMs = mean
			if ok {
				sd.CI = &paired
			}
			if _, unpaired, ok := WelchInterval(va, vb, conf); ok {
				sd.UnpairedCI = &unpaired
			}
			out = append(out, sd)
		}
	}
	if out == nil {
		out = []SeedDelta{}
	}
	return out
}
