package scenarios

import (
	"time"

	"github.com/regionsim/regionsim/raft"
	"github.com/regionsim/regionsim/scenarios/egress"
	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// Traffic is the network traffic of a run's measured span: the bytes every
// message carried (framing included, counted where it was sent; see
// raft/traffic.go for the sizes and docs/model.md for what is counted),
// summed per directed region pair and per directed pair of zones of one
// region, and their monthly cost at the provider's egress prices if the
// rate held for a month (egress.HoursPerMonth).
type Traffic struct {
	// Provider is the price table used (gcp, aws, azure), or none.
	Provider string `json:"provider"`
	// RegionPairs lists every ordered pair of different regions, in
	// topology order.
	RegionPairs []TrafficPair `json:"region_pairs"`
	// ZonePairs lists every ordered pair of different zones of one region,
	// region by region, in topology order.
	ZonePairs []TrafficPair `json:"zone_pairs"`
	// CrossRegionBytesPerS is the sum of RegionPairs' BytesPerS.
	CrossRegionBytesPerS float64 `json:"cross_region_bytes_per_s"`
	// InterZoneBytesPerS is the sum of ZonePairs' BytesPerS.
	InterZoneBytesPerS float64 `json:"inter_zone_bytes_per_s"`
	// CrossRegionBytesPerRequest is the cross-region bytes of the span
	// divided by the requests completed in it (0 without requests).
	CrossRegionBytesPerRequest float64 `json:"cross_region_bytes_per_request"`
	// CrossRegionUSDPerMonth and InterZoneUSDPerMonth are the monthly cost
	// of the two at the provider's prices; USDPerMonth their sum. 0 with
	// provider none.
	CrossRegionUSDPerMonth float64 `json:"cross_region_usd_per_month"`
	InterZoneUSDPerMonth   float64 `json:"inter_zone_usd_per_month"`
	USDPerMonth            float64 `json:"usd_per_month"`
	// Unpriced lists the region pairs ("a>b") with traffic but no price
	// (a region no price area matches); their bytes are left out of the
	// cost.
	Unpriced []string `json:"unpriced"`
	// Timeline is the traffic per interval of the measured span
	// (Result.TimelineSeconds wide, from the warmup's end; the last may be
	// shorter), and PeakCrossRegionBytesPerS its highest cross-region rate.
	Timeline                 []TrafficPoint `json:"timeline"`
	PeakCrossRegionBytesPerS float64        `json:"peak_cross_region_bytes_per_s"`
	// Unconfirmed is set when a price used could not be confirmed on the
	// provider's own page (scenarios/egress/prices.csv says which).
	Unconfirmed bool `json:"unconfirmed_prices"`
}

// TrafficPair is the traffic from one region (or zone) to another over the
// measured span.
type TrafficPair struct {
	From string `json:"from"` // region or zone name
	To   string `json:"to"`   // region or zone name
	// Bytes is every message's bytes; the next fields split them by kind:
	// MsgApp and MsgAppResp (raft), gateway <-> replica BatchRequests and
	// responses (kv), closed-timestamp updates (closedts), snapshots to
	// replacement replicas (snapshot), client statements and results whose
	// client sits in another zone or region (client).
	Bytes         uint64 `json:"bytes"`
	RaftBytes     uint64 `json:"raft_bytes"`
	KVBytes       uint64 `json:"kv_bytes"`
	ClosedTSBytes uint64 `json:"closedts_bytes"`
	SnapshotBytes uint64 `json:"snapshot_bytes"`
	ClientBytes   uint64 `json:"client_bytes"`
	// Messages is the number of messages.
	Messages uint64 `json:"messages"`
	// BytesPerS is Bytes over the measured span's seconds.
	BytesPerS float64 `json:"bytes_per_s"`
	// USDPerGB is the price applied per 10^9 bytes moved (both sides'
	// charges included; a GiB price converted); USDPerMonth the pair's
	// monthly cost at BytesPerS. Both 0 when unpriced.
	USDPerGB    float64 `json:"usd_per_gb"`
	USDPerMonth float64 `json:"usd_per_month"`
}

// EgressProvider returns the provider whose prices the run uses: Provider,
// or the one the RTT preset names (egress.ForPreset).
func (s *Scenario) EgressProvider() string {
	if s.Provider != "" {
		return s.Provider
	}
	return egress.ForPreset(s.Topology.RTT)
}

// trafficResult sums t, the traffic of the measured span, per region and
// zone pair of cluster c and prices it.
func (s *Scenario) trafficResult(c *topology.Cluster, t *raft.Traffic, requests uint64) *Traffic {
	secs := s.Duration.Seconds()
	out := &Traffic{Provider: s.EgressProvider(), RegionPairs: []TrafficPair{}, ZonePairs: []TrafficPair{}, Unpriced: []string{}}
	pair := func(from, to string, zf, zt []int) TrafficPair {
		p := TrafficPair{From: from, To: to}
		kinds := [raft.NumMsgKinds]*uint64{&p.ClientBytes, &p.KVBytes, &p.RaftBytes, &p.ClosedTSBytes, &p.SnapshotBytes}
		for _, a := range zf {
			for _, b := range zt {
				for k := range raft.NumMsgKinds {
					n := t.Bytes[k][a*t.Zones+b]
					*kinds[k] += n
					p.Bytes += n
					p.Messages += t.Msgs[k][a*t.Zones+b]
				}
			}
		}
		if secs > 0 {
			p.BytesPerS = float64(p.Bytes) / secs
		}
		return p
	}
	price := func(p *TrafficPair, fromRegion, toRegion string) bool {
		pr, ok := egress.Between(out.Provider, fromRegion, toRegion)
		if !ok {
			return false
		}
		p.USDPerGB = pr.PerByte() * 1e9
		p.USDPerMonth = p.BytesPerS * 3600 * egress.HoursPerMonth * pr.PerByte()
		if !pr.Confirmed && p.Bytes > 0 {
			out.Unconfirmed = true
		}
		return true
	}
	var crossBytes uint64
	for a := range c.Regions {
		for b := range c.Regions {
			if a == b {
				continue
			}
			ra, rb := c.Regions[a].Name, c.Regions[b].Name
			p := pair(ra, rb, c.Regions[a].Zones, c.Regions[b].Zones)
			if !price(&p, ra, rb) && p.Bytes > 0 && out.Provider != egress.None {
				out.Unpriced = append(out.Unpriced, ra+">"+rb)
			}
			crossBytes += p.Bytes
			out.CrossRegionBytesPerS += p.BytesPerS
			out.CrossRegionUSDPerMonth += p.USDPerMonth
			out.RegionPairs = append(out.RegionPairs, p)
		}
	}
	for _, r := range c.Regions {
		for _, za := range r.Zones {
			for _, zb := range r.Zones {
				if za == zb {
					continue
				}
				p := pair(c.Zones[za].Name, c.Zones[zb].Name, []int{za}, []int{zb})
				price(&p, r.Name, r.Name)
				out.InterZoneBytesPerS += p.BytesPerS
				out.InterZoneUSDPerMonth += p.USDPerMonth
				out.ZonePairs = append(out.ZonePairs, p)
			}
		}
	}
	out.USDPerMonth = out.CrossRegionUSDPerMonth + out.InterZoneUSDPerMonth
	if requests > 0 {
		out.CrossRegionBytesPerRequest = float64(crossBytes) / float64(requests)
	}
	return out
}

// TrafficPoint is the traffic of one interval of the measured span.
type TrafficPoint struct {
	TS float64 `json:"t_s"` // the interval's start, seconds since the start of the run
	// CrossRegionBytesPerS and InterZoneBytesPerS are the interval's bytes
	// between regions and between zones of one region, over its seconds.
	CrossRegionBytesPerS float64 `json:"cross_region_bytes_per_s"`
	InterZoneBytesPerS   float64 `json:"inter_zone_bytes_per_s"`
}

// trafficMarks records the model's cumulative traffic at every interval
// boundary of the measured span, stopping the engine there (RunUntil
// dispatches the same events whatever the stops).
type trafficMarks struct {
	m             *raft.Model
	next, end     sim.Time
	interval      time.Duration
	at            []sim.Time
	cross, zoneTo []uint64
}

// runUntil runs e until t, marking every boundary on the way.
func (tm *trafficMarks) runUntil(e *sim.Engine, t sim.Time) {
	for tm.next <= t && tm.next <= tm.end {
		e.RunUntil(tm.next)
		c, z := tm.m.TrafficSplit()
		tm.at, tm.cross, tm.zoneTo = append(tm.at, tm.next), append(tm.cross, c), append(tm.zoneTo, z)
		if tm.next == tm.end {
			tm.next = tm.end + 1
			break
		}
		tm.next = min(tm.end, tm.next.Add(tm.interval))
	}
	e.RunUntil(t)
}

// points returns the intervals between the marks and the peak
// cross-region rate.
func (tm *trafficMarks) points() ([]TrafficPoint, float64) {
	pts := []TrafficPoint{}
	peak := 0.0
	for i := 1; i < len(tm.at); i++ {
		secs := tm.at[i].Sub(tm.at[i-1]).Seconds()
		if secs <= 0 {
			continue
		}
		p := TrafficPoint{TS: tm.at[i-1].Seconds(),
			CrossRegionBytesPerS: float64(tm.cross[i]-tm.cross[i-1]) / secs,
			InterZoneBytesPerS:   float64(tm.zoneTo[i]-tm.zoneTo[i-1]) / secs}
		peak = max(peak, p.CrossRegionBytesPerS)
		pts = append(pts, p)
	}
	return pts, peak
}
