package scenarios

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/regionsim/regionsim/raft"
	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// generator issues one workload entry's requests: an open-loop Poisson
// process whose rate follows the entry's schedule. Each generator draws
// from its own random stream.
type generator struct {
	e  *sim.Engine
	id sim.HandlerID
	m  *raft.Model
	// r is the workload's stream ("workload"), src its source: a
	// request's draws call src itself (sim.IntN, sim.Float64: the same
	// values as r's methods, without its interface call), the others r.
	r   *rand.Rand
	src *rand.PCG
	// hops keys each request's client hops (raft.Request.HopSeed), a
	// stream of the workload's own ("workload/hop"), drawn in the order
	// of the workload's requests however far ahead they are submitted.
	hops  *rand.PCG
	table raft.TableID
	// valueBytes is the workload's value_bytes.
	valueBytes int
	// gateways are the nodes of the clients' region; a client uses a
	// gateway in its own zone, and clients are spread evenly over zones.
	gateways []topology.NodeID
	// up reports whether a node is up at the current simulated time; nil
	// means every node always is. fallback lists the nodes of the other
	// regions, nearest region (by median RTT) first: where the load
	// balancer sends clients whose whole region is down.
	up       func(topology.NodeID) bool
	fallback [][]topology.NodeID
	// anyNode, when set (gateway: any), replaces gateways and fallback:
	// gateways come uniformly from all (every node), and each client sits
	// in the zone of a node drawn uniformly from clients (its region's).
	anyNode bool
	all     []topology.NodeID
	clients []topology.NodeID
	// sink hears of requests that fail before reaching any node.
	sink raft.Sink
	// ops and cum hold the op mix as a cumulative distribution.
	ops []raft.Op
	cum []float64
	// bounded is the bound of bounded_read ops (nil: none).
	bounded *BoundedRead
	// rbr: the clients' region, the share of requests for rows homed there,
	// and the other regions with cumulative row shares.
	rbr       bool
	region    int
	localRows float64
	others    []int
	othersCum []float64
	ranges    int // range index bound passed to the model (taken modulo)
	keys      int
	// keySet, when set, is the workload's key set (workload keys:): each
	// request's row is drawn from it, and the request is keyed (contends).
	keySet     *keySet
	tagBase    int64 // series index of op 0; tag = tagBase + op
	rate       float64
	steps      []step
	nextStep   int
	arrival    sim.TimerID
	stopAt     sim.Time
	submitted  *uint64
	measureEnd sim.Time
}

// step is a scheduled rate change at an engine instant.
type step struct {
	at   sim.Time
	rate float64
}

const (
	kArrival sim.Kind = iota
	kRateChange
)

// start schedules the first arrival and the rate changes.
func (g *generator) start() {
	if g.nextStep < len(g.steps) {
		g.e.Schedule(g.steps[g.nextStep].at, g.id, kRateChange, 0)
	}
	g.scheduleArrival()
}

// aheadWindow is how far ahead of its next arrival event a generator
// submits requests (raft.Model.SubmitAt): the arrivals drawn within it are
// submitted at once, and the first one past it gets the event.
const aheadWindow = 100 * time.Millisecond

// scheduleArrival draws the next arrivals after the one just issued. Those
// within aheadWindow that the model may take ahead of their start
// (raft.Model.CanSubmitAhead), before the next rate change, are issued at
// once; the first that is not gets the arrival event. The draws are those
// of one arrival at a time: the request's, then the gap to the next.
func (g *generator) scheduleArrival() {
	g.arrival = 0
	if g.rate <= 0 {
		return
	}
	from := g.e.Now()
	limit := min(g.stopAt, from.Add(aheadWindow))
	if g.nextStep < len(g.steps) {
		limit = min(limit, g.steps[g.nextStep].at)
	}
	last := from
	// A request is submitted ahead only while all the gateways it may
	// draw are up: one drawn down would be redirected, or failed at once
	// when no node is up, at its submission. No fault starts or ends
	// within the window (CanSubmitAhead), so they are up at each start.
	ahead := g.up == nil || g.gatewaysUp()
	for {
		// The gap in seconds, compared in floating point first: a tiny
		// rate (1e-300 requests/s) gives a gap far beyond any simulated
		// time.
		gap := g.r.ExpFloat64() / g.rate
		if gap >= g.stopAt.Sub(last).Seconds() {
			return
		}
		at := last.Add(time.Duration(gap * float64(time.Second)))
		if at >= g.stopAt {
			return
		}
		if at >= limit || !ahead || !g.m.CanSubmitAhead(at) {
			g.arrival = g.e.StartTimer(at, g.id, kArrival, 0)
			return
		}
		g.issue(at)
		last = at
	}
}

// Handle issues a request or applies a rate change.
func (g *generator) Handle(ev *sim.Event) {
	switch ev.Kind {
	case kArrival:
		g.issue(g.e.Now())
		g.scheduleArrival()
	case kRateChange:
		// Poisson arrivals are memoryless: drop the pending arrival and
		// draw the next one at the new rate.
		g.e.Cancel(g.arrival)
		g.rate = g.steps[g.nextStep].rate
		g.nextStep++
		if g.nextStep < len(g.steps) {
			g.e.Schedule(g.steps[g.nextStep].at, g.id, kRateChange, 0)
		}
		g.scheduleArrival()
	}
}

// issue draws a request that starts at instant at (now, or ahead of now
// with raft.Model.CanSubmitAhead) and submits it.
func (g *generator) issue(at sim.Time) {
	op := g.ops[pick(g.cum, sim.Float64(g.src))]
	tag := g.tagBase + int64(op)
	req := raft.Request{Op: op, Table: g.table, Region: -1, ValueBytes: g.valueBytes}
	if g.anyNode {
		req.Client, req.ClientSet = g.clients[sim.IntN(g.src, len(g.clients))], true
		req.Gateway = g.all[sim.IntN(g.src, len(g.all))]
	} else {
		req.Gateway = g.gateways[sim.IntN(g.src, len(g.gateways))]
	}
	req.Range = sim.IntN(g.src, g.ranges)
	req.Key = sim.IntN(g.src, g.keys)
	if g.keySet != nil {
		// Drawn after the unkeyed draws, from the key set's own stream, so
		// that everything else a request draws stays as without keys.
		req.Keyed, req.Key = true, g.keySet.draw()
	}
	if op == raft.OpBoundedRead && g.bounded != nil {
		req.Bounded, req.MaxStaleness, req.NearestOnly = true, g.bounded.MaxStaleness, g.bounded.NearestOnly
	}
	if g.rbr {
		req.Region = g.region
		if len(g.others) > 0 && sim.Float64(g.src) >= g.localRows {
			req.Region = g.others[pick(g.othersCum, sim.Float64(g.src))]
		}
	}
	// Drawn before the gateway check, so that the workload's hop stream
	// stays in step with a run where every gateway is up.
	req.HopSeed, req.HopSeeded = g.hops.Uint64(), true
	*g.submitted++
	if g.up != nil && !g.up(req.Gateway) {
		gw, ok := g.redirect()
		if !ok {
			// No node is up anywhere: the client's connection fails at
			// once (at is now: a run with gateways down submits nothing
			// ahead).
			g.sink.Complete(tag, -1, at, at, raft.Failed)
			return
		}
		req.Gateway = gw
	}
	g.m.SubmitAt(req, tag, at)
}

// keySet draws a keyed workload's rows (Workload.Keys, Distribution,
// ZipfExponent, HotShare, HotKeys) from its own random stream.
type keySet struct {
	r    *rand.Rand
	keys int
	// zipf draws key k with probability ∝ (k+1)^-s (nil: uniform).
	zipf *rand.Zipf
	// hotShare of the draws go uniformly to keys [0, hotKeys), the others
	// uniformly to [hotKeys, keys); 0: no hot set.
	hotShare float64
	hotKeys  int
}

// newKeySet returns w's key set drawing from stream r, nil without keys.
// w must be valid.
func newKeySet(w Workload, r *rand.Rand) *keySet {
	if w.Keys <= 0 {
		return nil
	}
	k := &keySet{r: r, keys: int(w.Keys)}
	switch {
	case w.Distribution == DistributionZipf:
		s := w.ZipfExponent
		if s == 0 {
			s = DefaultZipfExponent
		}
		k.zipf = rand.NewZipf(r, s, 1, uint64(w.Keys-1))
	case w.HotShare > 0:
		k.hotShare, k.hotKeys = w.HotShare, int(max(w.HotKeys, 1))
	}
	return k
}

// draw returns the next key, in [0, keys). O(1), no allocation.
func (k *keySet) draw() int {
	switch {
	case k.zipf != nil:
		return int(k.zipf.Uint64())
	case k.hotShare > 0:
		if k.hotShare >= 1 || k.r.Float64() < k.hotShare {
			return k.r.IntN(k.hotKeys)
		}
		return k.hotKeys + k.r.IntN(k.keys-k.hotKeys)
	}
	return k.r.IntN(k.keys)
}

// redirect is the load balancer's choice for a client whose gateway is
// down: a live node of the clients' region, else (nearest-healthy) a live
// node of the nearest region that has one, each chosen uniformly; with
// gateway: any, a live node of the cluster; ok is false when there is
// none. It draws from the generator's stream only when called, so a
// run without faults draws exactly as before.
func (g *generator) redirect() (topology.NodeID, bool) {
	if g.anyNode {
		return g.pickLive(g.all)
	}
	if id, ok := g.pickLive(g.gateways); ok {
		return id, true
	}
	for _, nodes := range g.fallback {
		if id, ok := g.pickLive(nodes); ok {
			return id, true
		}
	}
	return 0, false
}

// gatewaysUp reports whether every node issue may draw as a gateway is up
// now. O(gateways).
func (g *generator) gatewaysUp() bool {
	nodes := g.gateways
	if g.anyNode {
		nodes = g.all
	}
	for _, id := range nodes {
		if !g.up(id) {
			return false
		}
	}
	return true
}

// pickLive returns a node of nodes that is up, uniformly at random, and
// false if none is. O(len(nodes)), no allocation.
func (g *generator) pickLive(nodes []topology.NodeID) (topology.NodeID, bool) {
	live := 0
	for _, id := range nodes {
		if g.up(id) {
			live++
		}
	}
	if live == 0 {
		return 0, false
	}
	k := g.r.IntN(live)
	for _, id := range nodes {
		if g.up(id) {
			if k == 0 {
				return id, true
			}
			k--
		}
	}
	panic("scenarios: live node count changed during a pick")
}

// fallbackRegions returns the nodes of every region other than region,
// nearest first by median RTT from region (ties in topology order).
func fallbackRegions(c *topology.Cluster, region int) [][]topology.NodeID {
	order := make([]int, 0, len(c.Regions)-1)
	for r := range c.Regions {
		if r != region {
			order = append(order, r)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(c.RegionRTT(region, a).Median(), c.RegionRTT(region, b).Median())
	})
	out := make([][]topology.NodeID, len(order))
	for i, r := range order {
		out[i] = c.RegionNodes(r)
	}
	return out
}

// pick returns the index of the first cumulative weight above u.
func pick(cum []float64, u float64) int {
	for i, c := range cum {
		if u < c {
			return i
		}
	}
	return len(cum) - 1
}

// gatewayNodes returns the nodes w's clients connect to: its Gateways, or
// every node of its region. The scenario must be validated.
func (w Workload) gatewayNodes(c *topology.Cluster, region int) []topology.NodeID {
	if len(w.Gateways) == 0 {
		return c.RegionNodes(region)
	}
	out := make([]topology.NodeID, 0, len(w.Gateways))
	for _, name := range w.Gateways {
		if id, ok := c.NodeByName(name); ok {
			out = append(out, id)
		}
	}
	return out
}

// fallbackNodes returns where the load balancer sends w's clients when all
// their gateways are down: the region's other nodes if w names its
// gateways, then (nearest-healthy only) the other regions, nearest first.
func (w Workload) fallbackNodes(c *topology.Cluster, region int) [][]topology.NodeID {
	var out [][]topology.NodeID
	if w.GatewayMode() == GatewayNearestHealthy {
		out = fallbackRegions(c, region)
	}
	if len(w.Gateways) > 0 {
		out = append([][]topology.NodeID{c.RegionNodes(region)}, out...)
	}
	return out
}
