// Package stats owns regionsim's latency recorders: Histogram, a streaming
// log-bucketed latency histogram with bounded memory, exact merge and
// quantiles within a stated relative error, and Series, a per-interval time
// series of counts, errors and latency histograms for timelines.
//
// All values are nanoseconds: latencies are time.Duration and instants are
// int64 simulated nanoseconds since the start of a run. Memory depends on the
// spread of the recorded values and on the number of time bins, never on the
// number of records, and recording into an existing bucket or bin allocates
// nothing.
//
// Package stats imports only the standard library and nothing of this
// project, so any recorder, report or plot may depend on it.
package stats
