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
// table × op × client region (in Stats order), how long those clients saw
// no successful response during the fault: a projection of r.Impact
// (ClientImpact.UnavailableS), with an entry only where it is above 0.
//
// A result without Impact (written before it existed, or built by hand)
// falls back to an upper bound from the ranges' outages: a table's figure
// is its worst range's outage (the sum of that range's outages during the
// fault), attributed to every op and client region of the table.
func (r *Result) ClientUnavailable() []ClientUnavailable {
	if len(r.Impact) > 0 {
		var out []ClientUnavailable
		for _, im := range r.Impact {
			if im.UnavailableS > 0 {
				out = append(out, ClientUnavailable{Fault: im.Fault, Table: im.Table, Op: im.Op,
					ClientRegion: im.ClientRegion, Seconds: im.UnavailableS})
			}
		}
		return out
	}
	return r.rangeUnavailable()
}

// rangeUnavailable is ClientUnavailable from the ranges' outages.
func (r *Result) rangeUnavailable() []ClientUnavailable {
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
