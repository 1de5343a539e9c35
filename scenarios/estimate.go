package scenarios

import (
	"cmp"
	"fmt"
	"math"
	"runtime"
	"runtime/metrics"
	"slices"
	"time"
	"unsafe"

	"github.com/regionsim/regionsim/raft"
	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/sim/offheap"
	"github.com/regionsim/regionsim/topology"
)

// Budget limits what one run may cost; zero fields mean no limit. The
// CLI's defaults are DefaultMaxEvents and DefaultMaxMemory.
type Budget struct {
	// MaxEvents is the most engine events a run may dispatch.
	MaxEvents uint64
	// MaxMemory is the most memory, in bytes, a run may use.
	MaxMemory uint64
}

// Defaults of the CLI's --max-events and --max-memory.
const (
	// DefaultMaxEvents is about seven minutes of one core at 5 M events/s.
	DefaultMaxEvents = 2_000_000_000
	// DefaultMaxMemory is 4 GiB.
	DefaultMaxMemory = 4 << 30
)

// Estimate is what a run of a scenario will cost, computed from the
// scenario alone, before running it.
type Estimate struct {
	// Requests is the expected number of requests issued, warmup included.
	Requests float64
	// Events is the estimated number of engine events: the messages and
	// timers of every request by op and replica count (for the mean number
	// of arrivals plus three standard deviations; a few for a request shed
	// when the run offers more CPU work than its nodes have), the background
	// (closed-timestamp side transport, replica scanners, liveness), and
	// the retries of requests waiting out faults (for the whole fault where
	// it takes a range's quorum, else a failover window). Runs seldom
	// exceed it, but it is not a bound: Budget.MaxEvents is enforced while
	// the run goes.
	Events float64
	// RunEvents is the Events of the largest single run when the estimate
	// covers several (a sweep), 0 for one run: Budget.MaxEvents limits
	// each run, so Check compares it with the largest.
	RunEvents float64
	// PeakInFlight bounds the requests in flight at once: the highest
	// arrival rate times the longest a request can wait (its deadline when
	// the scenario has faults or a client timeout, else a few seconds).
	// Without faults (which hold requests outside the CPU queues) and with
	// CPU queues, a request evaluated at a node the peak saturates counts
	// only if the node serves it, for twice the give-up time: the rest is
	// shed on arrival.
	PeakInFlight float64
	// MemoryBytes estimates, erring high, the run's peak memory: the
	// runtime, per-range state, latency histograms and timeline bins, and
	// PeakInFlight requests with their parts and messages, doubled for the
	// garbage collector's headroom — except the requests' state, kept off
	// the heap where the system allows. Budget.MaxMemory is also enforced
	// while the run goes.
	MemoryBytes float64
	// setup is the estimated time the runs take to place their ranges and
	// add them to the model and the closed form (Seconds).
	setup float64
}

// Memory sizes behind the estimate (upper bounds of what the structures
// hold, measured on amd64).
const (
	estRuntimeBytes = 32 << 20 // the Go runtime, the binary's data, presets
	// estRangeBytes bounds what a range costs at the run's peak, measured
	// on amd64 (2026-12-07): the model's Range with its lease-log entry
	// and place in its table (164 B, raft TestRangeHeapPerRange), the
	// result's lease event (112 B) and range indexes (16 B), request
	// statistics without counts (80 B, which the replica scanners create
	// for most ranges of a long run), and the placed layout of the table
	// being added (about 140 B, dropped once the table is in the model).
	estRangeBytes = 512
	// estCountBytes is what a range's request statistics hold per window
	// and zone once it has served a request (a count).
	estCountBytes     = 8
	estHistogramBytes = 24 << 10 // a latency histogram spanning 100 µs to minutes at 0.5 % (1,330 buckets, grown by doubling)
	// estSideTransportBytes is the side transport's state per ordered
	// node pair: the lazy mode's latest tick found and fate resolved, and
	// the latest publication received, which only message mode (a trace,
	// bandwidth limits) allocates: an upper bound (raft/closedts.go).
	estSideTransportBytes = 3 * 8
	estEventBytes         = 40  // a queued event and its timer slot
	estWaitingEvents      = 10  // events per second of a request waiting out a fault (retries, backoff, RPC errors)
	estEventsPerSec       = 5e6 // engine speed for the time estimate
	// estRangeSeconds is what setting up a range costs a run: placing it,
	// adding it to the model and the closed form, listing its lease (0.6 s
	// for 300,000 ranges on a 2-core VM, 2026-12-07; a run of default
	// with 100,000 ranges per table spends most of its time there).
	estRangeSeconds = 2e-6
	// estStallBytes is a client stall tracker (one per series and range
	// of its table, in a slice grown by append: a quarter more).
	estStallBytes     = unsafe.Sizeof(stallTracker{}) * 5 / 4
	estCandidateBytes = 24 // a stall candidate, held for evidenceWindow
	// estShedEvents is what a request costs that its leaseholder's CPUs
	// would not start before it gives up: its arrival at the gateway and
	// at the CPU queue, and the client's reply.
	estShedEvents = 3
)

// estRequestBytes and estPartBytes are what a request and each of its
// parts hold in flight: their slots in the model's slabs, and the side
// slabs' entries they take once decided, or once proposed (the
// estimate counts them for every request, except a saturated node's
// queue, where about half have proposed).
var estRequestBytes, estPartBytes, estProposedBytes = func() (float64, float64, float64) {
	r, p, d, pr := raft.StateBytes()
	return float64(r + d), float64(p), float64(pr)
}()

// Seconds is a rough wall-clock time for the estimate's events and the
// setup of its ranges on one core.
func (e Estimate) Seconds() float64 { return e.Events/estEventsPerSec + e.setup }

// String renders the estimate for --dry-run.
func (e Estimate) String() string {
	return fmt.Sprintf("about %.3g requests, %.3g events (~%.0f s on one core), at most %.3g requests in flight, at most %.0f MiB",
		e.Requests, e.Events, e.Seconds(), e.PeakInFlight, e.MemoryBytes/(1<<20))
}

// Check returns an error wrapping ErrInvalid when the estimate exceeds b:
// memory over MaxMemory, or events over MaxEvents (of the largest run,
// RunEvents, when the estimate covers several: the limit is per run).
func (e Estimate) Check(b Budget) error {
	switch {
	case b.MaxMemory > 0 && e.MemoryBytes > float64(b.MaxMemory):
		return &Error{Field: "budget", Err: fmt.Errorf("the run could need up to %.0f MiB, over --max-memory %d MiB (estimate: %s); shorten the faults, lower the rates or the client timeout, or raise --max-memory", e.MemoryBytes/(1<<20), b.MaxMemory>>20, e)}
	case e.PeakInFlight > raft.MaxInFlight:
		// Whatever the memory allowed: the model's slabs hold no more.
		return &Error{Field: "budget", Err: fmt.Errorf("the run could hold up to %.3g requests in flight at once, more than the %d the model holds (estimate: %s); lower the rates or the client timeout, which bounds how long a request queues", e.PeakInFlight, raft.MaxInFlight, e)}
	case b.MaxEvents > 0 && e.RunEvents > float64(b.MaxEvents):
		return &Error{Field: "budget", Err: fmt.Errorf("the largest run would take about %.3g events, over --max-events %d, which limits each run (estimate of them all: %s); shorten it, lower the rates, or raise --max-events", e.RunEvents, b.MaxEvents, e)}
	case b.MaxEvents > 0 && e.RunEvents == 0 && e.Events > float64(b.MaxEvents):
		return &Error{Field: "budget", Err: fmt.Errorf("the run would take about %.3g events, over --max-events %d (estimate: %s); shorten it, lower the rates, or raise --max-events", e.Events, b.MaxEvents, e)}
	}
	return nil
}

// estimateSample is the most ranges of a table Estimate places: with a
// larger table, every table is placed scaled down by one factor, the
// largest to estimateSample ranges (Scenario.estimate), and the number of
// ranges comes from the tables' specs.
const estimateSample = 4096

// Estimate returns the cost of running the validated scenario s.
func (s *Scenario) Estimate() (Estimate, error) { return s.estimate(estimateSample) }

// estimate is Estimate from the tables placed scaled down (placeEach's
// limit) to sample ranges for the largest and as large a share of every
// other (0: all of them). What the estimate reads of the layouts (how a
// table's leases and replicas spread over the nodes, how many ranges a
// fault reaches, the replicas per range) are shares, and the allocator,
// which balances each range against the load of those placed before,
// spreads a scaled-down set of tables as it spreads them all (a table's
// first ranges alone would lean away from nodes an earlier table
// loaded: TestEstimateFromASampleOfRanges). Placing 100,000 ranges per
// table to read those shares cost about a quarter of such a run's CPU,
// and the run places them again.
func (s *Scenario) estimate(sample int) (Estimate, error) {
	c := s.Cluster()
	if c == nil {
		return Estimate{}, fmt.Errorf("scenarios: Estimate needs a validated scenario")
	}
	placed := make([][]placement.RangeLayout, len(s.Tables))
	if err := s.placeEach(false, sample, func(ti int, layouts []placement.RangeLayout) error {
		placed[ti] = layouts
		return nil
	}); err != nil {
		return Estimate{}, err
	}
	end := s.end()
	nodes := float64(len(c.Nodes))
	db := s.ResolvedDatabase()
	regions := float64(len(db.Regions))
	if regions == 0 {
		regions = 1
	}
	var est Estimate
	// The longest a request can be in flight.
	wait := 5*time.Second + s.Cockroach.GlobalReadsLead()
	for i := range c.Regions {
		for j := range c.Regions {
			wait = max(wait, 8*c.RegionRTT(i, j).Median()+time.Second)
		}
	}
	// With faults, a request waits out a fault it cannot get round (no
	// live replica of its range: no circuit breaker trips), or fails at a
	// live replica's breaker; either way its client's timeout ends it.
	limit := time.Duration(0)
	for _, f := range s.Faults {
		limit = max(limit, f.For+raft.ReplicaCircuitBreakerThreshold+10*time.Second)
	}
	if t := s.Cockroach.ClientTimeout; t > 0 {
		limit = t
	}
	wait = max(wait, limit+time.Second)
	faults, err := RaftFaults(s.Faults, c)
	if err != nil {
		return Estimate{}, err
	}
	ranges, maxParts := s.rangeCount(), 1.0
	for _, t := range s.Tables {
		maxParts = max(maxParts, float64(t.TxnRanges), regions)
	}
	peakRate, activeSeries, seriesRanges := 0.0, 0.0, 0.0
	var loads []offered
	// CPU work per job: an evaluation's mean (what a CPU serves per
	// second), a Raft append's constant.
	svc, raftCPU := c.Latency.Service().Mean().Seconds(), c.RaftCPU.Seconds()
	spreads := make([]tableSpread, len(s.Tables))
	for ti := range s.Tables {
		spreads[ti] = tableSpreadOf(placed[ti], c)
	}
	for _, w := range s.Workload {
		ti := s.TableIndex(w.Table)
		t := s.Tables[ti]
		replicas := 0.0
		for _, l := range placed[ti] {
			replicas += float64(len(l.Voters) + len(l.NonVoters))
		}
		replicas /= float64(len(placed[ti]))
		rate, steps, err := w.RateSchedule(end)
		if err != nil {
			return Estimate{}, err
		}
		requests, peak := integrate(rate, steps, end)
		peakRate += peak
		est.Requests += requests
		l := offered{peak: peak, evalAt: make([]float64, len(c.Nodes)), appendCPU: map[[2]int32]float64{}}
		rows, local, reg := t.RowShares(db.Regions), w.LocalShare(t.RowShares(db.Regions)), c.RegionIndex(w.Region)
		for _, os := range w.OpShares() {
			l.events += os.Share * eventsPerRequest(os.Op, t, replicas, regions)
			l.parts += os.Share * partsPerRequest(os.Op, t, regions, local)
			l.place(os.Share, os.Op, t, &spreads[ti], w.Region, reg, local, rows, svc, raftCPU)
			if os.Share > 0 {
				activeSeries++
				seriesRanges += float64(placement.TableRanges(c, s.placementDatabase(), t.TableSpec(c)))
			}
		}
		// Arrivals are Poisson: count three standard deviations more than
		// the mean, so the events of a run seldom exceed the estimate.
		l.requests = requests + 3*math.Sqrt(requests)
		l.settle()
		loads = append(loads, l)
		// Requests to ranges a fault takes down retry with backoff while
		// they wait: for the whole fault where it takes the quorum (or cuts
		// the network: assumed), else for one failover window (at most
		// 10 s, reference §6.2); on average half of it, up to the deadline.
		for _, f := range faults {
			down, lost := faultReach(f, placed[ti])
			window := 10 * time.Second
			if lost > 0 {
				window = f.For + 10*time.Second
			}
			window = min(window, f.For+10*time.Second)
			waited := min(window, limit).Seconds()
			est.Events += peak * (down + lost) * window.Seconds() * waited / 2 * estWaitingEvents
		}
	}
	// Background: side-transport publications (every 200 ms, to every other
	// node; events only where links have a bandwidth, else they are
	// computed when a read asks: raft/closedts.go), replica scanners (at
	// most one visit per node per 10 ms), and with faults liveness
	// heartbeats and expiry timers (every 3 s). The run goes on after its
	// end until its last requests complete: count the background for one
	// second more.
	sec := end.Seconds() + 1
	if c.HasBandwidth() {
		est.Events += sec * nodes * nodes / s.Cockroach.SideTransportInterval.Seconds()
	}
	est.Events += sec * nodes * min(100, float64(ranges)*3/(s.Cockroach.Allocator.ScanInterval.Seconds()+1e-9)+1)
	if len(s.Faults) > 0 {
		est.Events += sec*nodes*2 + float64(len(s.Faults))*(2+float64(ranges))
	}
	// A node offered more CPU work than it has serves what it can; the
	// evaluations it would not start within the give-up time are shed
	// (raft/queues.go admitEval) at a few events each. Two views, each
	// simplifying where requests land, and the estimate takes the larger
	// figure of the two: per node (servedShares, each op routed where the
	// model sends it, evenly over a partition's ranges and over equally
	// near replicas), which sees one region saturated by cheap reads and
	// another by costly writes but misses a hot spot within a partition
	// or among equally near replicas (the model picks one); and the
	// cluster's CPUs pooled, which sees any shed load only in
	// proportion. Events from the mean rates: pooling a run's CPU time
	// over the run lets a quiet hour's spare capacity serve a busy one,
	// which counts more requests served, not fewer.
	capacity, queued := nodeCapacity(c)
	meanRate := func(l *offered) float64 { return l.requests / end.Seconds() }
	peakOf := func(l *offered) float64 { return l.peak }
	var meanServed, peakServed []float64
	var peakBusy []bool
	pooledMean, pooledPeak := 1.0, 1.0
	if queued {
		meanServed, _ = servedShares(loads, capacity, meanRate)
		peakServed, peakBusy = servedShares(loads, capacity, peakOf)
		pooledMean = pooledShare(loads, capacity, meanRate)
		pooledPeak = pooledShare(loads, capacity, peakOf)
	}
	var perNode, pooled float64
	for _, l := range loads {
		served := 1.0
		if queued {
			served = l.servedShare(meanServed)
		}
		perNode += l.requests * (served*l.events + (1-served)*estShedEvents)
		pooled += l.requests * (pooledMean*l.events + (1-pooledMean)*estShedEvents)
	}
	est.Events += max(perNode, pooled)
	est.PeakInFlight = peakRate * wait.Seconds()
	est.setup = float64(ranges) * estRangeSeconds
	// A request in flight holds its slab state and its parts' (stateBytes)
	// and events in the engine's queue (eventBytes).
	stateBytes := estRequestBytes + maxParts*(estPartBytes+estProposedBytes)
	eventBytes := maxParts * estEventBytes * (2 + maxReplicas(placed))
	if queued && len(s.Faults) == 0 {
		// A request evaluated at a saturated node is on its way to its
		// CPU queue (within two of the widest round trips: transit), or
		// admitted and started within the give-up time: at most twice
		// that for a request of two phases (an insert's checks then its
		// write, a locality-optimized read's local then remote probes;
		// admitEval counts the give-up time from each evaluation), plus
		// its hops. One evaluated where the CPUs keep up is in flight as
		// long as without saturation. Faults are left out: a request
		// waiting one out retries without a CPU.
		giveUp := raft.OverloadTimeout
		if t := s.Cockroach.ClientTimeout; t > 0 {
			giveUp = t
		}
		transit := time.Duration(0)
		for i := range c.Regions {
			for j := range c.Regions {
				transit = max(transit, 2*c.RegionRTT(i, j).Median())
			}
		}
		long := (2*giveUp + transit).Seconds()
		n, parts := 0.0, 0.0
		for _, l := range loads {
			calm, busy := l.split(peakServed, peakBusy)
			n += l.peak * (calm*wait.Seconds() + busy*long + (1-calm-busy)*transit.Seconds())
			parts += l.peak * l.parts
		}
		if pooledPeak < 1 {
			n = max(n, peakRate*(pooledPeak*long+(1-pooledPeak)*transit.Seconds()))
		}
		// About half of them wait for a CPU, with one event each, the
		// others replicate, with one per replica and one more.
		est.PeakInFlight = n
		if peakRate > 0 {
			stateBytes = estRequestBytes + parts/peakRate*(estPartBytes+estProposedBytes/2)
			eventBytes = parts / peakRate * estEventBytes * (3 + maxReplicas(placed)) / 2
		}
	}

	bins := end.Seconds()/TimelineInterval(end).Seconds() + 2
	// Client stalls (ClientImpact), kept in a run with faults only: a
	// tracker per series and range of its table (a series' trackers are
	// indexed by the range's position), and a candidate per quiet second,
	// per response at most.
	stalls := 0.0
	if len(faults) > 0 {
		stalls = seriesRanges*float64(estStallBytes) +
			min(seriesRanges*evidenceWindow.Seconds()/SlowThreshold.Seconds(), peakRate*evidenceWindow.Seconds())*estCandidateBytes
	}
	// Ranges: every range's state, and the counts of those that serve
	// requests (a request's parts each reach one: a transaction's ranges,
	// a locality-optimized read's probes, an insert's checks).
	counted := min(float64(ranges), est.Requests*maxParts)
	live := float64(ranges)*(estRangeBytes+4*nodes) +
		counted*estCountBytes*float64(s.Cockroach.Allocator.StatsWindows*len(c.Zones)) +
		nodes*nodes*estSideTransportBytes +
		activeSeries*(bins+1)*estHistogramBytes +
		est.PeakInFlight*eventBytes +
		min(nodes*sec, float64(ranges)*sec/s.Cockroach.Allocator.MinLeaseTransferStatsDuration.Seconds())*64 + // lease log: a transfer per store per second at most, and per range per stats period
		stalls
	// The collector may let the heap grow to twice what is live; the
	// requests' state is off the heap where the system allows
	// (raft.Model.KeepStateOffHeap), and counts once there.
	state := est.PeakInFlight * stateBytes
	if !offheap.Supported {
		state *= 2
	}
	est.MemoryBytes = estRuntimeBytes + 2*live + state
	return est, nil
}

// integrate returns the requests a rate schedule issues before end and its
// highest rate.
func integrate(rate float64, steps []Step, end time.Duration) (requests, peak float64) {
	at := time.Duration(0)
	peak = rate
	for _, st := range steps {
		if st.At >= end {
			break
		}
		requests += rate * (st.At - at).Seconds()
		at, rate = st.At, st.Rate
		peak = max(peak, rate)
	}
	requests += rate * (end - at).Seconds()
	return requests, peak
}

// eventsPerRequest is the number of engine events one request of op costs
// on a table whose ranges have replicas replicas, in a database of regions
// regions: the client's two hops, evaluation, the reply, and for writes the
// leader's append and a MsgApp and its acknowledgement per other replica.
func eventsPerRequest(op raft.Op, t Table, replicas, regions float64) float64 {
	// Evaluation and its arrival at the node's CPU queue, own append,
	// MsgApp's arrival, durable append and ack per replica, reply.
	write := 4 + 3*(replicas-1) + 1
	read := 3.0 // arrival at the CPU queue, evaluation, reply
	client := 2.0
	switch op {
	case raft.OpRead:
		if t.Locality == placement.LocalityRegionalByRow && t.Lookup == LookupLOS {
			return client + read*regions + 1
		}
		return client + read + 2 // a follower arrival or a redirect
	case raft.OpStaleRead, raft.OpBoundedRead:
		return client + read + 3
	case raft.OpWrite:
		return client + write + 1 // commit wait
	case raft.OpInsert:
		return client + write + read*regions
	case raft.OpTxn:
		return client + write*float64(t.TxnRanges)
	}
	return client + write
}

// offered is what one workload entry asks of the cluster: requests (the
// mean plus three standard deviations) and its peak rate, and per request
// its engine events, how many parts it has in flight at once, and the CPU
// seconds of its evaluations at each node (evalAt).
type offered struct {
	requests, peak, events, parts float64
	evalAt                        []float64
	appends                       []appendAt
	appendCPU                     map[[2]int32]float64 // while place gathers them
}

// servedShare returns the share of l's requests whose evaluations the
// nodes serve, given each node's served share of the evaluations it is
// offered: the average over l's evaluations (a request of several is
// counted served when any is, which errs towards more served).
func (l *offered) servedShare(served []float64) float64 {
	total, ok := 0.0, 0.0
	for n, d := range l.evalAt {
		total += d
		ok += d * served[n]
	}
	if total == 0 {
		return 1
	}
	return ok / total
}

// split returns the shares of l's requests evaluated at nodes that keep
// up (calm) and served at saturated ones (busy); the rest is shed.
func (l *offered) split(served []float64, saturated []bool) (calm, busy float64) {
	total := 0.0
	for n, d := range l.evalAt {
		total += d
		if saturated[n] {
			busy += d * served[n]
		} else {
			calm += d
		}
	}
	if total == 0 {
		return 1, 0
	}
	return calm / total, busy / total
}

// cpu returns l's CPU seconds per request: its evaluations and appends.
func (l *offered) cpu() float64 {
	sum := 0.0
	for _, d := range l.evalAt {
		sum += d
	}
	for _, a := range l.appends {
		sum += a.cpu
	}
	return sum
}

// pooledShare returns the share of the offered requests the cluster's
// CPUs, pooled, serve with the workloads at rate(l) (1 when some node has
// no CPU queue: it serves any load).
func pooledShare(loads []offered, capacity []float64, rate func(*offered) float64) float64 {
	total, demand := 0.0, 0.0
	for _, c := range capacity {
		total += c
	}
	for i := range loads {
		demand += rate(&loads[i]) * loads[i].cpu()
	}
	if math.IsInf(total, 1) || demand <= total {
		return 1
	}
	return total / demand
}

// appendAt is the CPU one request of a workload causes at node to by
// the Raft appends of a write evaluated at node from.
type appendAt struct {
	from, to int32
	cpu      float64
}

// tableSpread is where a table's requests land, each range of a
// partition (the whole table without partitions) taking its share evenly:
// by partition ("" for none), its ranges' shares by leaseholder node (lh)
// and by (leaseholder, replica) pair (pairs); and by client region, each
// node's share of the table's follower reads (near: a range's replicas
// nearest that region, evenly).
type tableSpread struct {
	parts map[string]*partSpread
	names []string // the partitions, sorted
	near  [][]float64
}

type partSpread struct {
	lh    []float64
	pairs map[[2]int32]float64
}

// tableSpreadOf returns the spread of a table placed as layouts on
// cluster c.
func tableSpreadOf(layouts []placement.RangeLayout, c *topology.Cluster) tableSpread {
	n := len(c.Nodes)
	ts := tableSpread{parts: map[string]*partSpread{}, near: make([][]float64, len(c.Regions))}
	counts := map[string]int{}
	for _, ly := range layouts {
		counts[ly.Partition]++
	}
	for name := range counts {
		ts.parts[name] = &partSpread{lh: make([]float64, n), pairs: map[[2]int32]float64{}}
		ts.names = append(ts.names, name)
	}
	slices.Sort(ts.names)
	for r := range ts.near {
		ts.near[r] = make([]float64, n)
	}
	rtt := make([][]time.Duration, len(c.Regions))
	for i := range rtt {
		rtt[i] = make([]time.Duration, len(c.Regions))
		for j := range rtt[i] {
			rtt[i][j] = c.RegionRTT(i, j).Median()
		}
	}
	var near []topology.NodeID
	for _, ly := range layouts {
		ps := ts.parts[ly.Partition]
		per := 1 / float64(counts[ly.Partition])
		lh := ly.Leaseholder
		ps.lh[lh] += per
		for _, group := range [2][]topology.NodeID{ly.Voters, ly.NonVoters} {
			for _, r := range group {
				ps.pairs[[2]int32{int32(lh), int32(r)}] += per
			}
		}
		for reg := range ts.near {
			near = near[:0]
			best := time.Duration(math.MaxInt64)
			for _, group := range [2][]topology.NodeID{ly.Voters, ly.NonVoters} {
				for _, r := range group {
					d := rtt[reg][c.Nodes[r].Region]
					if c.Nodes[r].Region == reg {
						d = -1
					}
					switch {
					case d < best:
						best, near = d, append(near[:0], r)
					case d == best:
						near = append(near, r)
					}
				}
			}
			for _, r := range near {
				ts.near[reg][r] += 1 / float64(len(layouts)) / float64(len(near))
			}
		}
	}
	return ts
}

// rowsIn returns the share of a workload's rows in each partition of ts,
// in the order of ts.names: local in its own region's, the rest over the
// others by rows (the table's rows per region); all in the one partition
// "" of a table without partitions.
func (ts *tableSpread) rowsIn(region string, local float64, rows map[string]float64) []float64 {
	out := make([]float64, len(ts.names))
	if len(ts.names) == 1 {
		out[0] = 1
		return out
	}
	other, others := 0.0, 0
	for _, p := range ts.names {
		if p != region {
			other += rows[p]
			others++
		}
	}
	rest := 1.0
	if _, ok := ts.parts[region]; ok {
		rest = 1 - local
	}
	for i, p := range ts.names {
		switch {
		case p == region:
			out[i] = local
		case other > 0:
			out[i] = rest * rows[p] / other
		default:
			out[i] = rest / float64(others)
		}
	}
	return out
}

// place adds to l one op of a workload from region (index reg) on table t
// spread as ts, with share of its requests: its evaluations (svc each) at
// the nodes that serve them, and its writes' Raft appends (raftCPU each)
// at every replica of the ranges written, by the leaseholder that
// evaluated them. Where the model sends a request: a follower read to the
// nearest replica; a locality-optimized read to its region's partition
// and, for a row homed elsewhere, to every other one; an insert with
// uniqueness checks to every other partition, then its write to its
// region's; any other request to the leaseholder of its row's range.
func (l *offered) place(share float64, op raft.Op, t Table, ts *tableSpread, region string, reg int, local float64, rows map[string]float64, svc, raftCPU float64) {
	add := func(v []float64, w float64) {
		for k, x := range v {
			l.evalAt[k] += w * x
		}
	}
	write := func(p string, w float64) {
		ps, ok := ts.parts[p]
		if !ok {
			return
		}
		add(ps.lh, w*svc)
		for k, x := range ps.pairs {
			l.appendCPU[k] += w * raftCPU * x
		}
	}
	_, home := ts.parts[region]
	switch {
	case followerRead(op, t):
		add(ts.near[reg], share*svc)
	case op == raft.OpRead && t.Locality == placement.LocalityRegionalByRow && t.Lookup == LookupLOS:
		miss := 1.0
		if home {
			add(ts.parts[region].lh, share*svc)
			miss = 1 - local
		}
		for _, p := range ts.names {
			if p != region {
				add(ts.parts[p].lh, share*svc*miss)
			}
		}
	case op == raft.OpInsert:
		if t.Locality == placement.LocalityRegionalByRow && t.PrimaryKey == PrimaryKeyPlain && len(ts.names) > 1 {
			for _, p := range ts.names {
				if p != region {
					add(ts.parts[p].lh, share*svc)
				}
			}
		}
		for i, w := range ts.rowsIn(region, 1, rows) {
			write(ts.names[i], share*w)
		}
	case op == raft.OpWrite || op == raft.OpTxn:
		n := 1.0
		if op == raft.OpTxn {
			n = float64(t.TxnRanges)
		}
		for i, w := range ts.rowsIn(region, local, rows) {
			write(ts.names[i], share*n*w)
		}
	default:
		for i, w := range ts.rowsIn(region, local, rows) {
			add(ts.parts[ts.names[i]].lh, share*svc*w)
		}
	}
}

// settle turns the appends place gathered into a list in node order.
func (l *offered) settle() {
	for k, cpu := range l.appendCPU {
		l.appends = append(l.appends, appendAt{k[0], k[1], cpu})
	}
	slices.SortFunc(l.appends, func(a, b appendAt) int {
		return cmp.Or(cmp.Compare(a.from, b.from), cmp.Compare(a.to, b.to))
	})
	l.appendCPU = nil
}

// servedShares returns, for each node, the share of the evaluations it
// is offered that it serves, with the workloads at rate(l), and whether
// it may be saturated (its evaluations and the appends every write would
// cause exceed its CPUs). A node serves all its evaluations while they
// and the appends it receives fit in its CPUs, else what is left of its
// CPUs after the appends, over the evaluations. Appends are never shed,
// but only served writes cause them: the shares are a fixed point f =
// F(f), and F is antitone (more served writes elsewhere, more appends
// here, less served here). So from f = 1 the even iterates of F fall and
// stay at or above the fixed point, even where the odd ones make them
// oscillate: the estimate takes the 64th, erring towards more served.
func servedShares(loads []offered, capacity []float64, rate func(*offered) float64) ([]float64, []bool) {
	n := len(capacity)
	evals, apps, f := make([]float64, n), make([]float64, n), make([]float64, n)
	saturated := make([]bool, n)
	for i := range loads {
		r := rate(&loads[i])
		for k, d := range loads[i].evalAt {
			evals[k] += r * d
		}
	}
	for k := range f {
		f[k] = 1
	}
	appends := func() {
		clear(apps)
		for i := range loads {
			r := rate(&loads[i])
			for _, a := range loads[i].appends {
				apps[a.to] += r * a.cpu * f[a.from]
			}
		}
	}
	appends()
	for k := range saturated {
		saturated[k] = evals[k]+apps[k] > capacity[k]
	}
	next := make([]float64, n)
	for iter := 0; iter < 64; iter++ {
		if iter > 0 {
			appends()
		}
		for k := range next {
			next[k] = 1
			if evals[k] > 0 && evals[k]+apps[k] > capacity[k] {
				next[k] = max(0, capacity[k]-apps[k]) / evals[k]
			}
		}
		f, next = next, f
	}
	return f, saturated
}

// nodeCapacity returns each node's CPU seconds per second (+Inf for a
// node without a CPU queue, vcpus 0, which serves any load), and whether
// any node has a CPU queue.
func nodeCapacity(c *topology.Cluster) (capacity []float64, queued bool) {
	capacity = make([]float64, len(c.Nodes))
	for i, n := range c.Nodes {
		capacity[i] = math.Inf(1)
		if n.VCPUs > 0 {
			capacity[i] = float64(n.VCPUs)
			queued = true
		}
	}
	return capacity, queued
}

// followerRead reports whether op on table t is served by the nearest
// replica rather than the leaseholder (DistSender's NEAREST routing): a
// stale or bounded read, or any read of a GLOBAL table.
func followerRead(op raft.Op, t Table) bool {
	return op == raft.OpStaleRead || op == raft.OpBoundedRead ||
		op == raft.OpRead && t.Locality == placement.LocalityGlobal
}

// partsPerRequest returns how many parts one request of op on table t
// has in flight at once, on average, in a database of regions regions,
// for a workload local of whose rows are homed in its region: a
// locality-optimized read one, then, for a row homed elsewhere, one per
// other region; an insert with uniqueness checks one per other region,
// then one; a transaction one per range it writes.
func partsPerRequest(op raft.Op, t Table, regions, local float64) float64 {
	rbr := t.Locality == placement.LocalityRegionalByRow
	switch {
	case op == raft.OpRead && rbr && t.Lookup == LookupLOS:
		return local + (1-local)*max(1, regions-1)
	case op == raft.OpInsert && rbr && t.PrimaryKey == PrimaryKeyPlain && regions > 1:
		return regions - 1
	case op == raft.OpTxn:
		return float64(t.TxnRanges)
	}
	return 1
}

// maxReplicas is the largest replica count of any range.
func maxReplicas(placed [][]placement.RangeLayout) float64 {
	most := 1
	for _, layouts := range placed {
		for _, l := range layouts {
			most = max(most, len(l.Voters)+len(l.NonVoters))
		}
	}
	return float64(most)
}

// exceeded returns an error wrapping ErrInvalid if the run on e has used up
// the budget: its event limit (the engine stops there) or MaxMemory of the
// process's memory (runtime/metrics; it never reaches the simulation, so
// results do not depend on it).
func (b Budget) exceeded(s *Scenario, e *sim.Engine) error {
	if e.LimitReached() {
		return &Error{Field: "budget", Err: fmt.Errorf("scenario %q stopped at simulated %v after %d events: over --max-events %d (--dry-run estimates a run; raise --max-events to let it go on)",
			s.Name, e.Now(), e.Events(), b.MaxEvents)}
	}
	if b.MaxMemory == 0 {
		return nil
	}
	sample := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(sample)
	// The runtime does not count the request state mapped off its heap.
	if used := sample[0].Value.Uint64() - sample[1].Value.Uint64() + offheap.Bytes(); used > b.MaxMemory {
		return &Error{Field: "budget", Err: fmt.Errorf("scenario %q stopped at simulated %v: the process uses %d MiB, over --max-memory %d MiB (--dry-run estimates a run; raise --max-memory to let it go on)",
			s.Name, e.Now(), used>>20, b.MaxMemory>>20)}
	}
	return nil
}

// SweepEstimate returns the cost of Sweep(s, opts): every run estimated
// (the baselines and each swept fault), events and requests summed over
// the runs, memory that of the costliest run times the runs that go at
// once.
func SweepEstimate(s *Scenario, opts SweepOptions) (Estimate, error) {
	return SweepShardEstimate(s, opts, Shard{Index: 0, Of: 1})
}

// SweepShardEstimate is SweepEstimate for the runs of shard sh of the
// sweep (SweepPlan.RunShard): the ones `sweep --shard` makes.
func SweepShardEstimate(s *Scenario, opts SweepOptions, sh Shard) (Estimate, error) {
	if err := opts.Validate(s); err != nil {
		return Estimate{}, err
	}
	if err := sh.Validate(); err != nil {
		return Estimate{}, err
	}
	jobs, _, _, err := sweepPlan(s, opts)
	if err != nil {
		return Estimate{}, err
	}
	var total Estimate
	runs := 0
	for ji, j := range jobs {
		// The shard's runs of this job: j's seeds k with
		// (ji*Seeds + k) % Of == Index.
		n := 0
		for k := range opts.Seeds {
			if (ji*opts.Seeds+k)%sh.Of == sh.Index {
				n++
			}
		}
		if n == 0 {
			continue
		}
		runs += n
		e, err := j.s.Estimate()
		if err != nil {
			return Estimate{}, err
		}
		total.Requests += float64(n) * e.Requests
		total.Events += float64(n) * e.Events
		total.setup += float64(n) * e.setup
		total.RunEvents = max(total.RunEvents, e.Events)
		total.PeakInFlight = max(total.PeakInFlight, e.PeakInFlight)
		total.MemoryBytes = max(total.MemoryBytes, e.MemoryBytes)
	}
	if runs == 0 {
		total.MemoryBytes = estRuntimeBytes
		return total, nil
	}
	parallel := opts.Parallelism
	if parallel <= 0 {
		parallel = runtime.GOMAXPROCS(0)
	}
	total.MemoryBytes = estRuntimeBytes + float64(min(parallel, runs))*(total.MemoryBytes-estRuntimeBytes)
	return total, nil
}

// faultReach returns the shares of a table's ranges that fault f takes
// down: down, those that fail over (their leaseholder is crashed but a
// quorum survives), and lost, those that stay down while it lasts (their
// quorum is crashed; every range, for a partition).
func faultReach(f raft.Fault, layouts []placement.RangeLayout) (down, lost float64) {
	if len(f.Crash) == 0 {
		return 0, 1
	}
	for _, l := range layouts {
		dead := 0
		for _, v := range l.Voters {
			if slices.Contains(f.Crash, v) {
				dead++
			}
		}
		switch {
		case len(l.Voters)-dead < len(l.Voters)/2+1:
			lost++
		case slices.Contains(f.Crash, l.Leaseholder):
			down++
		}
	}
	n := float64(len(layouts))
	return down / n, lost / n
}
