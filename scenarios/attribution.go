package scenarios

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
	"time"

	"github.com/regionsim/regionsim/raft"
)

// This file aggregates the critical paths of a series' requests
// (raft.Path) into Stat.Attribution: the share of latency each component
// contributed at p50 and at p99. Memory does not grow with the request
// count: per coarse latency bucket (eight per doubling, each at most
// 12.5 % wide), a count, the latency sum and each component's sum per region.
// The requests of the bucket that holds a percentile's rank are those
// "at" that percentile; their component sums over their latency sum are
// the shares.

// attrSubBits sets the number of attribution buckets per doubling of
// latency, attrSub.
const (
	attrSubBits = 3
	attrSub     = 1 << attrSubBits
)

// attrBuckets covers every int64 nanosecond latency.
const attrBuckets = 64 * attrSub

// attribution is the critical-path aggregate of one series.
type attribution struct {
	// regions is the cluster's region count; slots per component are
	// regions + 1 (no region first).
	regions int
	n       uint64
	buckets [attrBuckets]*attrBucket
}

// attrBucket is one latency bucket: its requests, their latency sum (ns)
// and per component × region slot the sum of that component (ns).
type attrBucket struct {
	count   uint64
	latency float64
	comp    []float64
}

func newAttribution(regions int) *attribution { return &attribution{regions: regions} }

// attrIndex returns the bucket of latency d: exact below attrSub ns, then
// attrSub buckets per power of two.
func attrIndex(d time.Duration) int {
	v := uint64(max(d, 0))
	if v < attrSub {
		return int(v)
	}
	e := bits.Len64(v) - 1 // >= attrSubBits
	return e*attrSub + int((v>>(e-attrSubBits))&(attrSub-1))
}

// attrBounds returns the latencies bucket i holds, [lo, hi).
func attrBounds(i int) (lo, hi time.Duration) {
	if i < attrSub {
		return time.Duration(i), time.Duration(i + 1)
	}
	e, sub := i/attrSub, i%attrSub
	return time.Duration(attrSub+sub) << (e - attrSubBits), time.Duration(attrSub+sub+1) << (e - attrSubBits)
}

// record adds one request of latency lat whose critical path is p.
// It allocates only the first time a bucket is used.
func (a *attribution) record(lat time.Duration, p *raft.Path) {
	i := attrIndex(lat)
	b := a.buckets[i]
	if b == nil {
		b = &attrBucket{comp: make([]float64, int(raft.NumComponents)*(a.regions+1))}
		a.buckets[i] = b
	}
	a.n++
	b.count++
	b.latency += float64(lat)
	for c, d := range &p.D {
		if d == 0 {
			continue
		}
		reg := p.Region(raft.Component(c))
		if reg >= a.regions {
			reg = -1
		}
		b.comp[c*(a.regions+1)+reg+1] += float64(d)
	}
}

// at returns the attribution of the requests in the bucket that holds
// quantile q's rank (ceil(q·n)), naming regions by regionNames; nil with
// no request.
func (a *attribution) at(q float64, regionNames []string) *AttributionAt {
	if a == nil || a.n == 0 {
		return nil
	}
	rank := uint64(math.Ceil(q * float64(a.n)))
	rank = min(max(rank, 1), a.n)
	var seen uint64
	for i, b := range a.buckets {
		if b == nil {
			continue
		}
		seen += b.count
		if seen < rank {
			continue
		}
		lo, hi := attrBounds(i)
		out := &AttributionAt{
			LowMs: ms(lo), HighMs: ms(hi), Requests: b.count,
			MeanMs:     ms(time.Duration(b.latency / float64(b.count))),
			Components: []ComponentShare{},
		}
		for slot, sum := range b.comp {
			if sum == 0 {
				continue
			}
			c, reg := raft.Component(slot/(a.regions+1)), slot%(a.regions+1)-1
			cs := ComponentShare{
				Component: c.String(), Label: c.Label(),
				Ms:    ms(time.Duration(sum / float64(b.count))),
				Share: math.Round(sum/b.latency*1e4) / 1e4,
			}
			if reg >= 0 && reg < len(regionNames) {
				cs.Region = regionNames[reg]
			}
			out.Components = append(out.Components, cs)
		}
		// Largest first; equal ones in component order (stable).
		slices.SortStableFunc(out.Components, func(x, y ComponentShare) int { return cmp.Compare(y.Ms, x.Ms) })
		return out
	}
	return nil
}

// summary returns the Stat's Attribution, nil with no request.
func (a *attribution) summary(regionNames []string) *Attribution {
	if a == nil || a.n == 0 {
		return nil
	}
	return &Attribution{P50: a.at(0.5, regionNames), P99: a.at(0.99, regionNames)}
}

// Attribution is what set a Stat's latency, from each request's critical
// path (raft.Path: the chain of hops and waits between the client's
// request and its reply, every instant given to one component): for the
// requests at the median and at the 99th percentile, the share of their
// latency each component took. "At" a percentile means in the coarse
// latency bucket (eight per doubling, at most 12.5 % wide) that holds its rank,
// so the shares describe real requests of that latency rather than an
// average over all. Absent where a Stat was not made by one run (pooled
// over seeds or runs).
type Attribution struct {
	P50 *AttributionAt `json:"p50"` // the requests at the median
	P99 *AttributionAt `json:"p99"` // the requests at the 99th percentile
}

// AttributionAt is the attribution of the requests in one latency bucket.
type AttributionAt struct {
	LowMs    float64 `json:"low_ms"`   // the bucket's lower bound, ms (inclusive)
	HighMs   float64 `json:"high_ms"`  // the bucket's upper bound, ms (exclusive)
	Requests uint64  `json:"requests"` // requests in the bucket
	MeanMs   float64 `json:"mean_ms"`  // their mean latency, ms: the sum of the components' ms
	// Components lists each component that took time, per region where it
	// has one, largest first.
	Components []ComponentShare `json:"components"`
}

// ComponentShare is one component of the critical path, in one region.
type ComponentShare struct {
	// Component names it: client_hop, gateway_leaseholder,
	// gateway_follower, evaluation, quorum_ack, fsync, commit_wait,
	// uncertainty_wait, lease_wait, leader_wait, latch_wait, cpu_wait,
	// redirect or retry_backoff
	// (docs/output.md says what each covers).
	Component string `json:"component"`
	// Label is the component's name for people ("gateway→leaseholder").
	Label string `json:"label"`
	// Region is where it happened: the serving replica's region for the
	// gateway round trip and the evaluation, the acknowledging replica's
	// for the quorum ack and its fsync; absent for the others.
	Region string  `json:"region,omitempty"`
	Ms     float64 `json:"ms"`    // its mean per request of the bucket, ms
	Share  float64 `json:"share"` // its share of the bucket's latency, 0–1 (4 decimals)
}
