package scenarios

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/regionsim/regionsim/raft"
	"github.com/regionsim/regionsim/raft/closedform"
	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/sim/stats"
	"github.com/regionsim/regionsim/topology"
)

// ErrUnsupported wraps scenario features the model cannot simulate yet; a
// run refuses them rather than silently ignoring them. No feature of the
// scenario format is refused at present.
var ErrUnsupported = errors.New("not supported yet")

// TimelineInterval returns the width of the timeline bins of a run of the
// given length: 1 s up to 10 minutes, then whole seconds giving about 600
// bins, so a long run's timeline stays readable and small.
func TimelineInterval(run time.Duration) time.Duration {
	const bins = 600
	if run <= 10*time.Minute {
		return time.Second
	}
	return (run / bins).Round(time.Second)
}

// maxDrain bounds how long a run keeps going after the measured span so that
// requests issued inside it can finish, plus the client timeout if there
// is one: by then every request's deadline has passed.
const maxDrain = 10 * time.Minute

// series is the recorder of one table × op × client region.
type series struct {
	table, locality, op, region string
	hist                        stats.Histogram
	// timeline bins the requests by the instant they were issued (the
	// bins of Result.Timeline). byCompletion says whether the run also
	// bins them by the instant they completed (the points of
	// Result.TimelineCompleted), and so keeps both timelines (not with
	// RunOptions.SkipTimelines).
	//
	// Most requests start and end in one bin, where both timelines record
	// them alike. So while the run lasts, with both kept, timeline holds
	// only those, recorded once; crossOut (by start) and crossIn (by end)
	// hold the requests that end in a later bin. joinTimelines then makes
	// timeline whole and the points by completion from timeline and
	// crossIn: a bin's histogram merged from its parts holds what
	// recording every request in it would (stats.Histogram.Merge), so the
	// results are the same.
	timeline          *stats.Series
	crossOut, crossIn *stats.Series
	byCompletion      bool
	maxOK             time.Duration // the worst latency of a successful request
	// calm holds the latencies of requests that ended before the first
	// fault started.
	calm stats.Histogram
	// stalls follow the requests to each range of the table, by index
	// within the table (grown on demand).
	stalls []stallTracker
	// expect is the closed form of the series (nil: none).
	expect *Expectation
	// staleness holds the staleness served to successful stale and
	// bounded reads (Stat.Staleness).
	staleness stats.Histogram
	// contention holds the latch waits of keyed requests, waited how
	// many of them queued (Stat.Contention).
	contention stats.Histogram
	waited     uint64
	// app is the workload's application tier (nil: none), running in
	// appRegion (Stat.App).
	app       *App
	appRegion string
	// attr aggregates the requests' critical paths (Stat.Attribution).
	attr *attribution
}

// recordTimelines files one request, issued at start and ended at end
// with outcome o and latency sample (end − start), in s's timelines.
func (s *series) recordTimelines(start, end sim.Time, sample stats.Sample, o raft.Outcome) {
	if w := int64(s.timeline.Width()); s.crossIn == nil || int64(start)/w == int64(end)/w {
		// Without bins by completion (RunOptions.SkipTimelines), or in
		// one bin (see series.timeline). Simulated instants are >= 0.
		recordSample(s.timeline, int64(start), sample, o)
		return
	}
	recordSample(s.crossOut, int64(start), sample, o)
	recordSample(s.crossIn, int64(end), sample, o)
}

// recordSample records one request's outcome o and latency sample in the
// bin of instant at of ts.
func recordSample(ts *stats.Series, at int64, sample stats.Sample, o raft.Outcome) {
	ts.RecordSample(at, sample, o == raft.OK)
	if o != raft.OK || sample.Value() > SlowThreshold {
		ts.MarkSlow(at)
	}
	if o == raft.Ambiguous {
		ts.MarkAmbiguous(at)
	}
}

// byEnd calls f with every bin by completion of s, in time order: its
// parts in timeline (before the join) and in crossIn, nil where s has no
// such bin. s must keep bins by completion and not be joined yet
// (crossIn != nil).
func (s *series) byEnd(f func(a, b *stats.Bin)) {
	width := int64(s.timeline.Width())
	tl, in := s.timeline.Bins(), s.crossIn.Bins()
	var first, last int64 = 1<<63 - 1, -1 << 63
	for _, bins := range [][]stats.Bin{tl, in} {
		if len(bins) > 0 {
			first, last = min(first, bins[0].Start/width), max(last, bins[len(bins)-1].Start/width)
		}
	}
	at := func(bins []stats.Bin, k int64) *stats.Bin {
		if len(bins) == 0 {
			return nil
		}
		if i := k - bins[0].Start/width; i >= 0 && i < int64(len(bins)) {
			return &bins[i]
		}
		return nil
	}
	for k := first; k <= last; k++ {
		f(at(tl, k), at(in, k))
	}
}

// completedPoints returns how many points by completion joinTimelines
// will append for s: its bins by completion with a request (0 without
// bins by completion, or once joined).
func (s *series) completedPoints() int {
	if s.crossIn == nil {
		return 0
	}
	n := 0
	s.byEnd(func(a, b *stats.Bin) {
		if a != nil && a.Count > 0 || b != nil && b.Count > 0 {
			n++
		}
	})
	return n
}

// joinTimelines makes s.timeline whole and appends s's points by
// completion to pts, at the end of the run (see series.timeline); a no-op
// without bins by completion or once done. A bin by completion is the
// same bin of timeline (before the join) and of crossIn, whose histograms
// scratch merges, bin by bin, only for the quantiles: a bin's histogram
// merged from its parts holds what recording every request in it would
// (stats.Histogram.Merge).
func (s *series) joinTimelines(scratch *stats.Histogram, pts []TimelinePoint) []TimelinePoint {
	if s.crossIn == nil {
		return pts
	}
	s.byEnd(func(a, b *stats.Bin) {
		switch {
		case a == nil || a.Count == 0:
			pts = s.appendPoint(pts, b)
		case b == nil || b.Count == 0:
			pts = s.appendPoint(pts, a)
		default:
			scratch.Reset()
			scratch.Merge(&a.Latency)
			scratch.Merge(&b.Latency)
			joined := stats.Bin{Start: a.Start, Count: a.Count + b.Count, Errors: a.Errors + b.Errors,
				Ambiguous: a.Ambiguous + b.Ambiguous, Latency: *scratch}
			pts = s.appendPoint(pts, &joined)
		}
	})
	s.timeline.Merge(s.crossOut)
	s.crossIn.Release()
	s.crossOut.Release()
	s.crossIn, s.crossOut = nil, nil
	return pts
}

// appendPoints appends the non-empty bins of ts, one of s's timelines, to
// pts as TimelinePoints.
func (s *series) appendPoints(pts []TimelinePoint, ts *stats.Series) []TimelinePoint {
	bins := ts.Bins()
	for i := range bins {
		pts = s.appendPoint(pts, &bins[i])
	}
	return pts
}

// appendPoint appends bin b of one of s's timelines to pts as a
// TimelinePoint, unless it is empty (or nil).
func (s *series) appendPoint(pts []TimelinePoint, b *stats.Bin) []TimelinePoint {
	if b == nil || b.Count == 0 {
		return pts
	}
	p50, p99 := b.Latency.Quantiles(0.5, 0.99)
	return append(pts, TimelinePoint{
		TS: sim.Time(b.Start).Seconds(), Table: s.table, Op: s.op, ClientRegion: s.region,
		Count: b.Count, Errors: b.Errors, Ambiguous: b.Ambiguous,
		P50Ms: ms(p50), P99Ms: ms(p99),
	})
}

// stall returns the tracker of range index ri of s, growing s.stalls.
func (s *series) stall(ri int) *stallTracker {
	for len(s.stalls) <= ri {
		s.stalls = append(s.stalls, stallTracker{waiting: noWait})
	}
	return &s.stalls[ri]
}

// recorder is the model's Sink: it files every completed request that was
// issued inside the measured span under its series.
type recorder struct {
	series      []series
	from, until sim.Time
	outstanding int64 // requests submitted and not yet completed
	measured    uint64
	// rangeIndex maps a raft.RangeID to its index within its table.
	rangeIndex []int
	// stalls turns on the per-range stall trackers and the pre-fault
	// histograms (a run with faults); calmUntil is when the first fault
	// starts.
	stalls    bool
	calmUntil sim.Time
	// served is the staleness of the read whose Complete comes next
	// (Served is called just before it), valid when hasServed.
	served    time.Duration
	hasServed bool
	// wait is the latch wait of the keyed request whose Complete comes
	// next (Contended is called just before it), valid when hasWait;
	// waited whether it queued.
	wait            time.Duration
	hasWait, waited bool
	// path is the critical path of the request whose Complete comes next
	// (Path is called just before it; the model's, valid until then),
	// valid when hasPath; checkPaths makes Complete panic unless it sums
	// to the latency (RunOptions' checks).
	path       *raft.Path
	hasPath    bool
	checkPaths bool
	// joined: the timelines are joined (Scenario.result), and completed
	// holds the points by completion.
	joined    bool
	completed []TimelinePoint
}

// Contended records the latch wait of a keyed request the model is about
// to complete (raft.ContentionSink).
func (r *recorder) Contended(_ int64, wait time.Duration, waited bool) {
	r.wait, r.hasWait, r.waited = wait, true, waited
}

// Path records the critical path of the request the model is about to
// complete (raft.PathSink).
func (r *recorder) Path(_ int64, p *raft.Path) {
	r.path, r.hasPath = p, true
}

// noPaths is a recorder without the raft.PathSink ability: the model
// keeps no critical paths (RunOptions.SkipExplain). It has every other
// ability of recorder (raft.StalenessSink, raft.ContentionSink).
type noPaths struct{ r *recorder }

// The sink abilities raft.New looks for: the recorder has them all, and
// noPaths all but paths.
var (
	_ raft.PathSink       = (*recorder)(nil)
	_ raft.StalenessSink  = (*recorder)(nil)
	_ raft.ContentionSink = (*recorder)(nil)
	_ raft.StalenessSink  = noPaths{}
	_ raft.ContentionSink = noPaths{}
)

func (n noPaths) Complete(tag int64, rng raft.RangeID, start, end sim.Time, o raft.Outcome) {
	n.r.Complete(tag, rng, start, end, o)
}

func (n noPaths) Served(tag int64, stmt, readTS sim.Time) { n.r.Served(tag, stmt, readTS) }

func (n noPaths) Contended(tag int64, wait time.Duration, waited bool) {
	n.r.Contended(tag, wait, waited)
}

// Served records the staleness of a stale or bounded read the model is
// about to complete (raft.StalenessSink).
func (r *recorder) Served(_ int64, stmt, readTS sim.Time) {
	r.served, r.hasServed = stmt.Sub(readTS), true
}

func (r *recorder) Complete(tag int64, rng raft.RangeID, start, end sim.Time, o raft.Outcome) {
	r.outstanding--
	s := &r.series[tag]
	// Stalls count every request, warmup's included.
	switch {
	case !r.stalls:
	case rng < 0:
		// It never reached a range (no gateway was up): every range of
		// the table went unserved.
		if o != raft.OK {
			for i := range s.stalls {
				s.stalls[i].failed(start, end)
			}
		}
	case o == raft.OK:
		s.stall(r.rangeIndex[rng]).ok(start, end)
	default:
		s.stall(r.rangeIndex[rng]).failed(start, end)
	}
	served, contended, path := r.hasServed, r.hasWait, r.hasPath
	r.hasServed, r.hasWait, r.hasPath = false, false, false
	p := r.path
	r.path = nil // the model's: not ours past this call
	lat := end.Sub(start)
	if path && r.checkPaths && p.Total() != lat {
		panic(fmt.Sprintf("request %d: critical path sums to %v, latency %v (%v)", tag, p.Total(), lat, p.D))
	}
	if start < r.from || start >= r.until {
		return
	}
	if served {
		s.staleness.Record(r.served)
	}
	if contended {
		s.contention.Record(r.wait)
		if r.waited {
			s.waited++
		}
	}
	if path {
		s.attr.record(lat, p)
	}
	sample := stats.NewSample(lat) // one bucket computation for the histograms below
	s.hist.RecordSample(sample)
	if r.stalls && end < r.calmUntil {
		s.calm.RecordSample(sample)
	}
	s.recordTimelines(start, end, sample, o)
	if o == raft.OK {
		s.maxOK = max(s.maxOK, lat)
	}
	r.measured++
}

// placementDatabase is the database the tables are placed in: the
// resolved multi-region database, or none without multi-region SQL.
func (s *Scenario) placementDatabase() placement.Database {
	db := s.ResolvedDatabase()
	if !db.MultiRegion() {
		db = placement.Database{}
	}
	return db
}

// Place returns the replica layouts of every table (indexed like Tables),
// exactly as Run places them for the scenario's seed. The scenario must be
// validated.
func (s *Scenario) Place() ([][]placement.RangeLayout, error) {
	c := s.Cluster()
	if c == nil {
		return nil, fmt.Errorf("scenarios: Place needs a validated scenario")
	}
	out := make([][]placement.RangeLayout, len(s.Tables))
	err := s.placeEach(false, 0, func(ti int, layouts []placement.RangeLayout) error {
		out[ti] = layouts
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// placeEach places the tables one by one, as Place does, and calls f with
// each table's index and layouts, so that a caller need not hold every
// table's layouts at once (a few hundred bytes a range). With reuse, every
// table's layouts are written into one buffer: f must not keep the slice
// (what it copies out of it, the layouts' own slices included, stays
// valid). A limit above 0 scales the tables down, if the largest has
// more ranges, to limit ranges for the largest and the same fraction of
// its own (rounded, at least one; a REGIONAL BY ROW table keeps one a
// partition) for every other (see Scenario.estimate). It stops
// at the first error, f's included. The scenario must be validated.
func (s *Scenario) placeEach(reuse bool, limit int, f func(ti int, layouts []placement.RangeLayout) error) error {
	c := s.Cluster()
	db := s.placementDatabase()
	r := sim.NewRand(s.Seed, sim.StreamID("placement", 0))
	load := placement.NewLoad(c)
	largest := 0
	if limit > 0 {
		for _, t := range s.Tables {
			largest = max(largest, t.TableSpec(c).Ranges)
		}
	}
	var buf []placement.RangeLayout
	for i, t := range s.Tables {
		spec := t.TableSpec(c)
		if largest > limit {
			// Rounded to the nearest: rounding up weighed 200 tables of
			// 50 ranges beside one of 100,000 half as much again.
			spec.Ranges = max(1, (spec.Ranges*limit+largest/2)/largest)
		}
		layouts, err := placement.PlaceTableInto(buf, c, db, spec, r, load)
		if err != nil {
			return fmt.Errorf("tables %q: %w", t.Name, err)
		}
		if reuse {
			buf = layouts
		}
		if err := f(i, layouts); err != nil {
			return err
		}
	}
	return nil
}

// rangeCount returns how many ranges the scenario's tables have in all,
// as Place lays them out.
func (s *Scenario) rangeCount() int {
	c := s.Cluster()
	db := s.placementDatabase()
	total := 0
	for _, t := range s.Tables {
		total += placement.TableRanges(c, db, t.TableSpec(c))
	}
	return total
}

// Run simulates one validated scenario and returns its result. It reads no
// wall clock: the caller fills Result.WallSeconds.
func Run(s *Scenario) (*Result, error) { return RunWithProgress(s, nil) }

// RunWithProgress is Run, calling progress (if not nil) with the simulated
// time done and the total about a hundred times during the run.
func RunWithProgress(s *Scenario, progress func(done, total time.Duration)) (*Result, error) {
	return RunWith(s, RunOptions{Progress: progress})
}

// RunOptions are the knobs of a run that are not part of the scenario.
type RunOptions struct {
	// Progress, if not nil, is called with the simulated time done and the
	// total about a hundred times during the run.
	Progress func(done, total time.Duration)
	// Budget limits the run: it stops with an error wrapping ErrInvalid
	// once it has dispatched MaxEvents events or the process uses more than
	// MaxMemory bytes (checked about a hundred times a run).
	Budget Budget
	// checks turns on the model's invariant checks (tests and fuzzing).
	checks bool
	// tracer, if set, receives the model's trace (tests).
	tracer func(raft.TraceEvent)
	// impactHistograms keeps the distributions behind each ClientImpact's
	// During and After, for a sweep to pool over runs (Sweep).
	impactHistograms bool
	// SkipExplain leaves out critical-path attribution and the closed form:
	// Stat.Attribution and the closed-form fields (ExpectedMs,
	// ExpectedLowMs, ExpectedHighMs, Departs) stay empty, and the run takes
	// about an eighth less time (BenchmarkExplainOverhead). For callers
	// that read neither: sweeps and advise, which pool runs' stats
	// (PoolStats keeps neither).
	SkipExplain bool
	// SkipTimelines leaves Result.Timeline and TimelineCompleted empty: the
	// requests are not binned by completion, and no point is built (the
	// bins by start remain, for Result.Impact). For callers that read
	// neither: sweeps and advise.
	SkipTimelines bool
	// closedTSMessages sends every closed-timestamp update as a message
	// from the start (raft.Model.ClosedTSMessages): the same Result but
	// Events (tests).
	closedTSMessages bool
}

// RunWith is Run with options.
func RunWith(s *Scenario, o RunOptions) (*Result, error) { return run(s, o) }

// InternalError is a run that failed because of a bug in regionsim (an
// engine or model invariant broke), not because of its input. It names the
// scenario and seed that reproduce it.
type InternalError struct {
	Scenario string
	Seed     uint64
	// Panic is the value the simulation panicked with, Stack where.
	Panic any
	Stack []byte
}

// Error says what broke and how to reproduce it.
func (e *InternalError) Error() string {
	return fmt.Sprintf("internal error (a bug) in scenario %q, seed %d: %v", e.Scenario, e.Seed, e.Panic)
}

// recovered is the error of scenario s's run that panicked with v: a model
// asked to hold more in flight than it can (raft.CapacityError) stopped
// like a run over its budget; anything else, a bug.
func recovered(s *Scenario, v any) error {
	if ce, ok := v.(raft.CapacityError); ok {
		return &Error{Field: "budget", Err: fmt.Errorf("scenario %q stopped: %v (the cluster is far past saturation; lower the rates, or the client timeout, which bounds how long a request queues)", s.Name, ce)}
	}
	return &InternalError{Scenario: s.Name, Seed: s.Seed, Panic: v, Stack: debug.Stack()}
}

// run is RunWithProgress; with checks, the model checks its invariants as
// it runs (raft.Model.CheckInvariants, a violation panics) and audits its
// bookkeeping at the end (tests and fuzzing). A panic inside the
// simulation is returned as an *InternalError.
func run(s *Scenario, o RunOptions) (res *Result, err error) {
	progress, checks := o.Progress, o.checks
	defer func() {
		if v := recover(); v != nil {
			res, err = nil, recovered(s, v)
		}
	}()
	c := s.Cluster()
	if c == nil {
		if err := s.Validate(); err != nil {
			return nil, err
		}
		c = s.Cluster()
	}
	faults, err := RaftFaults(s.Faults, c)
	if err != nil {
		return nil, err
	}
	setupFrom := heapAllocated()
	e := sim.NewEngine()
	e.SetEventLimit(o.Budget.MaxEvents)
	warmupEnd := sim.At(s.Warmup)
	end := warmupEnd.Add(s.Duration)
	// Stalls and pre-fault latencies matter only with faults.
	rec := &recorder{from: warmupEnd, until: end, stalls: len(faults) > 0, calmUntil: end, checkPaths: checks}
	for _, f := range faults {
		rec.calmUntil = min(rec.calmUntil, sim.At(f.At))
	}
	var sink raft.Sink = rec
	if o.SkipExplain {
		sink = noPaths{rec}
	}
	m, err := raft.New(e, c, s.Cockroach, s.Seed, sink)
	if err != nil {
		return nil, err
	}
	// The result copies what it keeps of the model, so its requests'
	// state can live off the heap until the run returns.
	m.KeepStateOffHeap()
	e.KeepQueueOffHeap()
	// The model first: its Release makes the appends it kept off the
	// engine's queue that are due (raft pending.go), which may queue an
	// event.
	defer func() {
		m.Release()
		e.Release()
	}()
	m.SetLoadInterval(TimelineInterval(s.Warmup + s.Duration))
	if checks {
		m.CheckInvariants()
	}
	if o.tracer != nil {
		m.SetTracer(o.tracer)
	}
	if o.closedTSMessages {
		m.ClosedTSMessages()
	}
	db := s.placementDatabase()
	var rowShares []map[string]float64
	m.ReserveRanges(s.rangeCount())
	// Each table's layouts (a few hundred bytes a range) are used and
	// dropped before the next table is placed: the model, the closed
	// form and the result keep what they need of them.
	under := make([]string, len(s.Tables))
	var cfTables []closedform.Table
	if !o.SkipExplain {
		cfTables = make([]closedform.Table, len(s.Tables))
	}
	err = s.placeEach(true, 0, func(ti int, layouts []placement.RangeLayout) error {
		t := s.Tables[ti]
		_, err := m.AddTable(raft.TableDef{
			Name: t.Name, Locality: t.Locality, Layouts: layouts, Rows: int(min(t.Rows, 1<<30)),
			UniqueChecks:            t.PrimaryKey == PrimaryKeyPlain,
			LocalityOptimizedSearch: t.Lookup == LookupLOS,
			TxnRanges:               t.TxnRanges,
			RangeBytes:              t.RangeBytes,
		})
		if err != nil {
			return err
		}
		rowShares = append(rowShares, t.RowShares(db.Regions))
		if cfTables != nil {
			cfTables[ti] = s.closedFormTable(ti, layouts)
		}
		under[ti] = s.underReplication(c, t, layouts)
		return nil
	})
	if err != nil {
		return nil, err
	}
	rec.rangeIndex = make([]int, len(m.Ranges()))
	for _, t := range m.Tables() {
		for i, id := range t.Ranges {
			rec.rangeIndex[id] = i
		}
	}
	for i, f := range faults {
		if err := m.AddFault(f); err != nil {
			return nil, fmt.Errorf("faults[%d]: %w", i, err)
		}
	}
	up := m.IsUp
	if len(faults) == 0 {
		up = nil // every node is always up: skip the checks
	}

	var submitted uint64
	ops := raft.Ops()
	var expect [][]*Expectation
	if !o.SkipExplain {
		expect = s.expectations(cfTables)
	}
	// The timelines' bins, and how many span the measured interval (by
	// start, every measured request's bin).
	width := TimelineInterval(s.Warmup + s.Duration)
	bins := int((s.Warmup+s.Duration-1)/width - s.Warmup/width + 1)
	for wi, w := range s.Workload {
		ti := s.TableIndex(w.Table)
		t := s.Tables[ti]
		region := c.RegionIndex(w.Region)
		dbRegion := c.RegionIndex(w.DBRegion()) // where its connections come from
		rate, schedule, err := w.RateSchedule(s.Warmup + s.Duration)
		if err != nil {
			return nil, fmt.Errorf("workload[%d]: %w", wi, err)
		}
		g := &generator{
			e: e, m: m, src: sim.NewSource(s.Seed, sim.StreamID("workload", wi)),
			hops:  sim.NewSource(s.Seed, sim.StreamID("workload/hop", wi)),
			table: raft.TableID(ti), gateways: w.gatewayNodes(c, dbRegion),
			up: up, fallback: w.fallbackNodes(c, dbRegion), sink: rec,
			ranges: 1 << 20, keys: 1 << 30, rate: rate,
			stopAt: end, submitted: &submitted,
			tagBase: int64(len(rec.series)),
			bounded: w.BoundedRead, valueBytes: w.ValueBytes,
			keySet: newKeySet(w, sim.NewRand(s.Seed, sim.StreamID("workload/keys", wi))),
		}
		g.r = rand.New(g.src)
		if w.GatewayMode() == GatewayAny {
			g.anyNode, g.clients = true, c.RegionNodes(dbRegion)
			g.all = make([]topology.NodeID, len(c.Nodes))
			for i := range g.all {
				g.all[i] = topology.NodeID(i)
			}
		}
		for _, op := range ops {
			rec.series = append(rec.series, series{
				table: t.Name, locality: t.Locality.String(), op: op.String(), region: w.Region, app: w.App, appRegion: w.DBRegion(),
				timeline: stats.NewSeries(width),
				attr:     newAttribution(len(c.Regions)),
			})
			sr := &rec.series[len(rec.series)-1]
			sr.timeline.Reserve(bins)
			if !o.SkipTimelines {
				sr.byCompletion = true
				sr.crossOut = stats.NewSeries(width)
				sr.crossIn = stats.NewSeries(width)
				// A crossing series may see a few requests: at most 64
				// bins (12 KiB) reserved, then grown as needed.
				sr.crossOut.Reserve(min(bins, 64))
				sr.crossIn.Reserve(min(bins+1, 64)) // the drain's first
			}
			if expect != nil {
				rec.series[len(rec.series)-1].expect = expect[wi][op]
			}
		}
		total := 0.0
		for _, os := range w.OpShares() {
			total += os.Share
			g.ops = append(g.ops, os.Op)
			g.cum = append(g.cum, total)
		}
		if t.Locality == placement.LocalityRegionalByRow {
			g.rbr, g.region = true, region
			shares := rowShares[ti]
			g.localRows = w.LocalShare(shares)
			other := 0.0
			for _, name := range db.Regions {
				if name != w.Region && shares[name] > 0 {
					other += shares[name]
					g.others = append(g.others, c.RegionIndex(name))
					g.othersCum = append(g.othersCum, other)
				}
			}
			for i := range g.othersCum {
				g.othersCum[i] /= other
			}
		}
		for _, st := range schedule {
			g.steps = append(g.steps, step{at: sim.At(st.At), rate: st.Rate})
		}
		g.id = e.Register(g)
		g.start()
	}

	collectAfterSetup(setupFrom)

	// Run in slices of simulated time so a caller can show progress; the
	// events and their order are the same as in one call.
	step := max(time.Second, time.Duration(end)/100)
	var warm raft.Traffic // the traffic before the measured span
	marks := trafficMarks{m: m, next: warmupEnd, end: end, interval: TimelineInterval(s.Warmup + s.Duration)}
	m.SetTrafficMarks(warmupEnd, marks.interval, end) // the instants marks and warm read the totals
	for t := sim.Time(0); t < end; {
		if next := min(end, t.Add(step)); t < warmupEnd && next >= warmupEnd {
			e.RunUntil(warmupEnd)
			warm = m.Traffic()
		}
		t = min(end, t.Add(step))
		marks.runUntil(e, t)
		if err := o.Budget.exceeded(s, e); err != nil {
			return nil, err
		}
		if progress != nil {
			progress(time.Duration(t), time.Duration(end))
		}
	}
	traffic := m.Traffic()
	if warm.Zones > 0 {
		traffic.Sub(&warm)
	}
	// Let requests issued inside the measured span finish.
	rec.outstanding += int64(submitted)
	drain := maxDrain + s.Cockroach.ClientTimeout
	for rec.outstanding > 0 && e.Now() < end.Add(drain) && e.Step() {
	}
	if err := o.Budget.exceeded(s, e); err != nil {
		return nil, err
	}
	bug := func(format string, args ...any) error {
		return &InternalError{Scenario: s.Name, Seed: s.Seed, Panic: fmt.Sprintf(format, args...)}
	}
	switch {
	case rec.outstanding > 0 && len(m.LinksBusyAfter(e.Now().Add(time.Second))) > 0:
		// Not a bug: a link between regions has more to send than it can
		// before the drain ends — messages offered faster than its
		// bandwidth, or an up-replication snapshot of a range larger than
		// it sends in that time — and the requests behind it wait. A link
		// that still has a second of messages to send after the drain is
		// such a link (a healthy one holds microseconds' worth).
		busy := m.LinksBusyAfter(e.Now().Add(time.Second))
		var names []string
		for _, l := range busy {
			names = append(names, fmt.Sprintf("%s → %s (%s)", c.Regions[l[0]].Name, c.Regions[l[1]].Name, topology.FormatBandwidth(c.Bandwidth(l[0], l[1]))))
		}
		// The field that set a busy link's bandwidth: topology.bandwidth
		// if any has its value, else topology.links.
		field := "topology.links"
		if bw, err := topology.ParseBandwidth(s.Topology.Bandwidth); err == nil {
			for _, l := range busy {
				if c.Bandwidth(l[0], l[1]) == bw {
					field = "topology.bandwidth"
				}
			}
		}
		return nil, &Error{Source: s.source, Field: field, Err: fmt.Errorf(
			"%d requests still waiting %v after the end of the run behind links with more to send than their bandwidth allows by then: %s; "+
				"raise the bandwidth, lower the rates, or lower the tables' range_bytes (an up-replication snapshot sends a whole range over the link)",
			rec.outstanding, drain, strings.Join(names, ", "))}
	case rec.outstanding > 0:
		return nil, bug("%d requests still running %v after the end of the run", rec.outstanding, drain)
	case rec.outstanding < 0:
		return nil, bug("%d more completions than requests", -rec.outstanding)
	}
	if checks {
		if err := m.Audit(); err != nil {
			return nil, bug("%v", err)
		}
	}
	// Every request has ended: their state goes back before the result
	// is built, so that the two are not held at once (docs/decisions.md,
	// "Request state off the heap").
	m.Release()
	e.Release()
	res = s.result(rec, e)
	res.Resolved = s.Resolved()
	res.Traffic = s.trafficResult(c, &traffic, res.Requests)
	res.Traffic.Timeline, res.Traffic.PeakCrossRegionBytesPerS = marks.points()
	s.leaseResults(res, m, end)
	s.faultResults(res, m, faults)
	for ti := range res.Tables {
		if ti < len(under) {
			res.Tables[ti].UnderReplicated = under[ti]
		}
	}
	loadResults(res, m, c, warmupEnd, end)
	for i := range rec.series {
		for j := range rec.series[i].stalls {
			rec.series[i].stalls[j].close(rec.until)
		}
	}
	res.Impact = s.clientImpacts(res, rec, o.impactHistograms)
	res.Judge(DefaultSurviveWithin)
	// Nothing reads the timelines' bins from here on (the result holds
	// their points and merged copies): later runs may reuse them.
	for i := range rec.series {
		rec.series[i].timeline.Release()
	}
	return res, nil
}

// faultResults fills the tables, the fault windows and the unavailability
// list (from the model's outages, ordered by start, table and range).
func (s *Scenario) faultResults(res *Result, m *raft.Model, faults []raft.Fault) {
	tables := m.Tables()
	ranges := m.Ranges()
	index := rangeIndexes(m)
	for _, t := range tables {
		res.Tables = append(res.Tables, TableInfo{Name: t.Name, Locality: t.Locality.String(), Ranges: len(t.Ranges)})
	}
	for _, f := range faults {
		res.Faults = append(res.Faults, FaultWindow{
			Name: f.Name, StartS: sim.At(f.At).Seconds(), EndS: sim.At(f.At + f.For).Seconds(),
		})
	}
	outages := m.Outages()
	table := func(o raft.Outage) raft.TableID { return ranges[o.Range].Table }
	slices.SortStableFunc(outages, func(a, b raft.Outage) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(table(a), table(b)),
			cmp.Compare(index[a.Range], index[b.Range]), cmp.Compare(a.Fault, b.Fault))
	})
	for _, o := range outages {
		name := ""
		if o.Fault >= 0 && o.Fault < len(faults) {
			name = faults[o.Fault].Name
		}
		res.Unavailability = append(res.Unavailability, Unavailability{
			Fault: name, Table: tables[table(o)].Name, Range: index[o.Range],
			StartS: o.Start.Seconds(), EndS: o.End.Seconds(), Phases: maps.Clone(o.Phases),
			PhaseOrder: slices.Clone(o.Order),
		})
	}
	for _, rp := range m.Replacements() {
		res.Replacements = append(res.Replacements, Replacement{
			TS: rp.At.Seconds(), Table: tables[ranges[rp.Range].Table].Name, Range: index[rp.Range],
			From: rp.From.String(), To: rp.To.String(), Voter: rp.Voter,
		})
	}
}

// rangeIndexes returns, for every range id of m, the range's position
// within its table: how Result identifies a range everywhere (Leases,
// Unavailability, Replacements), with the table's name.
func rangeIndexes(m *raft.Model) []int {
	index := make([]int, len(m.Ranges()))
	for _, t := range m.Tables() {
		for i, id := range t.Ranges {
			index[id] = i
		}
	}
	return index
}

// setupGarbage is how many bytes a run's setup (placement, the model's
// tables, the closed form) may allocate before the run collects the heap
// ahead of its simulation (collectAfterSetup).
const setupGarbage = 64 << 20

// heapAllocated returns the bytes allocated on the heap since the process
// started, by every goroutine (runtime/metrics /gc/heap/allocs:bytes).
func heapAllocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// collectAfterSetup collects the heap if the process allocated at least
// setupGarbage bytes since from, the run's start. Most of what a big
// setup allocates is garbage once the simulation starts: each table's
// range layouts (about 100 bytes a range) and the closed form's working
// sets. Left to the collector's own pacing, the next collection comes when
// the heap has doubled, so the simulation and the result grow the process
// into fresh memory instead of reusing that garbage, and every fresh page
// costs a page fault. With 100,000 ranges per table, collecting here took
// the peak from 234 to 195 MiB (docs/decisions.md, "A smaller range, and
// a collection between setup and simulation"). A small run allocates a
// few MiB and never collects here: a collection costs a mark of the live
// heap, a few percent of a run of default. Whether it collects changes no
// result.
func collectAfterSetup(from uint64) {
	if heapAllocated()-from >= setupGarbage {
		runtime.GC()
	}
}

// leaseSamples is how many lease-share samples a run reports at most.
const leaseSamples = 120

// leaseResults fills the lease log, lease share over time and transfer
// counts from the model's lease log up to end: what happens while the
// requests still in flight drain after it is not reported, so the results
// do not depend on how long the drain takes.
func (s *Scenario) leaseResults(res *Result, m *raft.Model, end sim.Time) {
	c := s.Cluster()
	ranges := m.Ranges()
	tables := m.Tables()
	log := m.Leases()
	if i, _ := slices.BinarySearchFunc(log, end, func(ev raft.LeaseEvent, t sim.Time) int {
		if ev.At <= t {
			return -1
		}
		return 1
	}); i < len(log) {
		log = log[:i]
	}
	index := rangeIndexes(m)
	transfers := make([]int, len(tables))
	res.Leases = slices.Grow(res.Leases, len(log)) // one initial lease per range, then the moves
	for _, ev := range log {
		r := &ranges[ev.Range]
		node := c.Nodes[ev.To]
		le := LeaseEvent{
			TS: ev.At.Seconds(), Range: index[ev.Range], Table: tables[r.Table].Name,
			Region: c.Regions[node.Region].Name, Zone: node.Locality.Zone, Reason: ev.Reason,
		}
		if ev.From >= 0 {
			transfers[r.Table]++
			from := c.Nodes[ev.From]
			le.FromRegion, le.FromZone = c.Regions[from.Region].Name, from.Locality.Zone
		}
		res.Leases = append(res.Leases, le)
	}
	hours := end.Seconds() / 3600
	for ti, t := range tables {
		res.LeaseTransfers = append(res.LeaseTransfers, LeaseTransferStat{
			Table: t.Name, Ranges: len(t.Ranges), Transfers: transfers[ti],
			PerRangePerHour: float64(transfers[ti]) / float64(len(t.Ranges)) / hours,
		})
	}
	// Replay the log to sample where each table's leases are, keeping the
	// count per table and region as leases move: O(log + samples ×
	// tables × regions), whatever the number of ranges.
	step := max(time.Second, (time.Duration(end) / leaseSamples).Round(time.Second))
	holder := make([]topology.NodeID, len(ranges))
	for i := range holder {
		holder[i] = -1 // no lease before its initial acquisition
	}
	next := 0
	count := make([][]int, len(tables)) // count[table][region]
	for ti := range count {
		count[ti] = make([]int, len(c.Regions))
	}
	for at := sim.Time(0); at <= end; at = at.Add(step) {
		for next < len(log) && log[next].At <= at {
			ev := log[next]
			t := ranges[ev.Range].Table
			if h := holder[ev.Range]; h >= 0 {
				count[t][c.Nodes[h].Region]--
			}
			holder[ev.Range] = ev.To
			count[t][c.Nodes[ev.To].Region]++
			next++
		}
		for ti, t := range tables {
			for reg, n := range count[ti] {
				res.LeaseShare = append(res.LeaseShare, LeaseSharePoint{
					TS: at.Seconds(), Table: tables[ti].Name, Region: c.Regions[reg].Name,
					Share: float64(n) / float64(len(t.Ranges)),
				})
			}
		}
	}
}

// result assembles the Result of a finished run, joining the recorder's
// timelines first (series.joinTimelines).
func (s *Scenario) result(rec *recorder, e *sim.Engine) *Result {
	// Join the timelines, once: the points by completion go into one
	// slice of exactly their number, in the order of the series, as
	// Result.TimelineCompleted lists them (a series without measured
	// requests has none); a second result of rec reuses them.
	if !rec.joined {
		n := 0
		for i := range rec.series {
			n += rec.series[i].completedPoints()
		}
		var scratch stats.Histogram
		rec.completed = make([]TimelinePoint, 0, n)
		for i := range rec.series {
			rec.completed = rec.series[i].joinTimelines(&scratch, rec.completed)
		}
		rec.joined = true
	}
	// The points by start: one per bin with a request, of the series that
	// keep both timelines.
	byStart := 0
	for i := range rec.series {
		if sr := &rec.series[i]; sr.byCompletion {
			bins := sr.timeline.Bins()
			for j := range bins {
				if bins[j].Count > 0 {
					byStart++
				}
			}
		}
	}
	res := &Result{
		Scenario: s.Name, Seed: s.Seed,
		Survival:          s.ResolvedDatabase().Survival.String(),
		CRDBVersion:       s.Cockroach.Version,
		RTT:               s.Topology.RTT,
		MaxOffsetMs:       sim.DurationMs(s.Cockroach.MaxOffset),
		WarmupSeconds:     s.Warmup.Seconds(),
		SimulatedSeconds:  s.Duration.Seconds(),
		Events:            e.Events(),
		Requests:          rec.measured,
		Stats:             []Stat{},
		Unavailability:    []Unavailability{},
		Leases:            []LeaseEvent{},
		Timeline:          make([]TimelinePoint, 0, byStart),
		TimelineCompleted: rec.completed,
		Faults:            []FaultWindow{},
		Tables:            []TableInfo{},
		TimelineSeconds:   TimelineInterval(s.Warmup + s.Duration).Seconds(),
		LeaseShare:        []LeaseSharePoint{},
		LeaseTransfers:    []LeaseTransferStat{},
		Replacements:      []Replacement{},
	}
	c := s.Cluster()
	for i, reg := range c.Regions {
		res.Regions = append(res.Regions, reg.Name)
		row := make([]float64, len(c.Regions))
		for j := range c.Regions {
			row[j] = ms(c.RegionRTT(i, j).Median())
		}
		res.RTTMs = append(res.RTTMs, row)
	}
	if !s.ResolvedDatabase().MultiRegion() {
		res.Survival = "none"
	}
	for i := range rec.series {
		sr := &rec.series[i]
		if sr.hist.Count() == 0 {
			continue
		}
		var errs, ambiguous uint64
		for _, b := range sr.timeline.Bins() {
			errs += b.Errors
			ambiguous += b.Ambiguous
		}
		if sr.byCompletion {
			res.Timeline = sr.appendPoints(res.Timeline, sr.timeline)
		}
		h := sr.hist.Clone()
		res.Stats = append(res.Stats, Stat{
			Table: sr.table, Locality: sr.locality, Op: sr.op, ClientRegion: sr.region,
			Count: h.Count(), Errors: errs, Ambiguous: ambiguous,
			MeanMs: ms(h.Mean()), P50Ms: ms(h.Quantile(0.5)), P90Ms: ms(h.Quantile(0.9)),
			P99Ms: ms(h.Quantile(0.99)), P999Ms: ms(h.Quantile(0.999)), MaxMs: ms(h.Max()), MaxOKMs: ms(sr.maxOK),
			Latency: h, Staleness: summariseStaleness(sr.staleness.Clone()),
			Contention:  summariseContention(sr.contention.Clone(), sr.waited),
			Attribution: sr.attr.summary(res.Regions),
		})
		if x := sr.expect; x != nil {
			st := &res.Stats[len(res.Stats)-1]
			lo, hi := x.Band(st.Count)
			st.ExpectedMs, st.ExpectedLowMs, st.ExpectedHighMs = ms(x.Median()), ms(lo), ms(hi)
			st.Departs = x.Departs(st.P50Ms, st.Count)
		}
		if sr.app != nil {
			res.Stats[len(res.Stats)-1].App = appLatency(sr.appRegion, sr.app.ClientRTT, h)
		}
		if len(s.Faults) > 0 && sr.calm.Count() > 0 {
			calm := summarise(&sr.calm)
			res.Stats[len(res.Stats)-1].PreFault = &calm
		}
	}
	sortStats(s, res.Stats)
	return res
}

// sortStats orders stats by table (scenario order), op (raft order) and
// client region (topology order); workload entries may list them in any
// order.
func sortStats(s *Scenario, st []Stat) {
	rank := func(x Stat) [3]int {
		op, _ := raft.ParseOp(x.Op)
		return [3]int{s.TableIndex(x.Table), int(op), s.Cluster().RegionIndex(x.ClientRegion)}
	}
	less := func(a, b Stat) bool {
		ra, rb := rank(a), rank(b)
		for i := range ra {
			if ra[i] != rb[i] {
				return ra[i] < rb[i]
			}
		}
		return false
	}
	// Insertion sort: stable and small (tens of rows).
	for i := 1; i < len(st); i++ {
		for j := i; j > 0 && less(st[j], st[j-1]); j-- {
			st[j], st[j-1] = st[j-1], st[j]
		}
	}
}

// ms converts a duration to milliseconds rounded to the microsecond, so
// results print and serialise stably.
func ms(d time.Duration) float64 {
	return float64(d.Round(time.Microsecond)) / 1e6
}

// RunSeeds runs s once per seed, in parallel on up to parallelism
// goroutines (0 means GOMAXPROCS), and returns the results in seed order.
// Each run has its own engine and random streams, so results do not depend
// on parallelism.
func RunSeeds(s *Scenario, seeds []uint64, parallelism int) ([]*Result, error) {
	return RunSeedsWith(s, seeds, SeedsOptions{Parallelism: parallelism})
}

// SeedsOptions are the knobs of RunSeedsWith.
type SeedsOptions struct {
	// Parallelism is how many runs go at once; 0 means GOMAXPROCS.
	Parallelism int
	// Progress, if set, is called after each run with the runs done and
	// the total, from one goroutine at a time.
	Progress func(done, total int)
	// Budget limits each run (RunOptions.Budget).
	Budget Budget
	// Clock, if set, is read before and after each run to fill its
	// WallSeconds; the runs themselves read no clock.
	Clock func() time.Time
}

// RunSeedsWith is RunSeeds with options.
func RunSeedsWith(s *Scenario, seeds []uint64, o SeedsOptions) ([]*Result, error) {
	return runParallel(len(seeds), o.Parallelism, o.Progress, func(i int) (*Result, error) {
		c := s.Clone()
		c.Seed = seeds[i]
		var start time.Time
		if o.Clock != nil {
			start = o.Clock()
		}
		r, err := RunWith(c, RunOptions{Budget: o.Budget})
		if err != nil {
			return nil, fmt.Errorf("seed %d: %w", c.Seed, err)
		}
		if o.Clock != nil {
			r.WallSeconds = o.Clock().Sub(start).Seconds()
		}
		return r, nil
	})
}

// RunAll runs every scenario of ss (validated) once, in parallel on up to
// o.Parallelism goroutines, and returns the results in the order of ss;
// o is read as for RunSeedsWith. Each run has its own engine and random
// streams, so results do not depend on parallelism: compare runs its
// variants with it.
func RunAll(ss []*Scenario, o SeedsOptions) ([]*Result, error) {
	return runParallel(len(ss), o.Parallelism, o.Progress, func(i int) (*Result, error) {
		var start time.Time
		if o.Clock != nil {
			start = o.Clock()
		}
		r, err := RunWith(ss[i], RunOptions{Budget: o.Budget})
		if err != nil {
			return nil, err
		}
		if o.Clock != nil {
			r.WallSeconds = o.Clock().Sub(start).Seconds()
		}
		return r, nil
	})
}

// runParallel runs job(0) … job(n-1) as Parallel does and returns their
// results in job order, with every job's error joined.
func runParallel(n, parallelism int, progress func(done, total int), job func(i int) (*Result, error)) ([]*Result, error) {
	results := make([]*Result, n)
	err := Parallel(n, parallelism, progress, func(i int) error {
		var err error
		results[i], err = job(i)
		return err
	})
	return results, err
}

// Parallel runs job(0) … job(n-1) on up to parallelism goroutines (0
// means GOMAXPROCS) and returns every job's error joined, in job order.
// progress, if set, is called after each job with the jobs done and n,
// under a lock. Each job must write only its own slot of any shared
// result, or synchronise with the others (Sweep's jobs aggregate a group
// of slots under a lock).
func Parallel(n, parallelism int, progress func(done, total int), job func(i int) error) error {
	if parallelism <= 0 {
		parallelism = runtime.GOMAXPROCS(0)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	sem := make(chan struct{}, parallelism)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = job(i)
			if progress != nil {
				mu.Lock()
				done++
				progress(done, n)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
