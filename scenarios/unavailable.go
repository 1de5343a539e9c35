package scenarios

// ClientUnavailable is how long the clients of one table × op × client
// region saw no successful response during one fault: Seconds of simulated
// time (>= 0). Fault is the fault's name as in Result.Faults.
type ClientUnavailable struct {
	Fault        string
	Table        string
	Op           string
	ClientRegion string
	Seconds      float64
}

// ClientUnavailable returns, per fault of r (in r.Faults order) and per
// table × op × client region of r.Stats (in Stats order, each key once),
// how long those clients saw no successful response during the fault. A
// key the fault did not touch has no entry (it reads as 0 s); a run
// without faults has none. It reads r.Faults, r.Unavailability and
// r.Stats and allocates the returned slice; O(faults × (outages + stats)).
//
// Stopgap: until Result carries the per-client impact of each fault
// (Result.Impact, ClientImpact.UnavailableS), this is an upper bound from
// the ranges' outages: a table's figure is its worst range's outage, the
// sum of that range's outage durations during the fault, and it is
// attributed to every op and client region of the table, although stale
// and bounded reads may be served by followers meanwhile and a
// REGIONAL BY ROW client mostly reads its own region's ranges. When
// Result.Impact lands, this function becomes a projection of it; its
// callers (scenarios/slo) stay as they are.
func (r *Result) ClientUnavailable() []ClientUnavailable {
	type rangeKey struct {
		table string
		rng   int
	}
	type clientKey struct{ table, op, region string }
	var out []ClientUnavailable
	for _, f := range r.Faults {
		down := map[rangeKey]float64{}
		worst := map[string]float64{} // per table
		for _, u := range r.Unavailability {
			if u.Fault != f.Name {
				continue
			}
			k := rangeKey{u.Table, u.Range}
			down[k] += u.EndS - u.StartS
			worst[u.Table] = max(worst[u.Table], down[k])
		}
		seen := map[clientKey]bool{}
		for _, st := range r.Stats {
			k := clientKey{st.Table, st.Op, st.ClientRegion}
			if seen[k] || worst[st.Table] <= 0 {
				continue
			}
			seen[k] = true
			out = append(out, ClientUnavailable{Fault: f.Name, Table: st.Table, Op: st.Op,
				ClientRegion: st.ClientRegion, Seconds: worst[st.Table]})
		}
	}
	return out
}
