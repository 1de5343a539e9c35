// Package slo owns SLO assertions over simulation results, the CLI's
// --assert: their grammar (Parse), the measurements they are checked
// against (Source: one Result, a Comparison's runs, or a SweepResult's
// per-locality figures), which names and metrics a source can answer
// (Scope, also derived from a scenario before anything runs), and their
// evaluation (Source.Check), where the worst selected figure decides.
//
// The grammar is
//
//	[TABLE.OP.]METRIC[@CLIENT_REGION] CMP VALUE
//
// with CMP one of < <= > >= == != and METRIC one of p50 p90 p99 p999 max
// mean (latency, VALUE a duration such as 150ms), errors and requests
// (alias count; plain numbers), error_rate (a fraction or a percentage)
// unavailable (seconds without a successful response during a fault,
// VALUE a duration), staleness_p50 and staleness_p99 (the staleness stale
// and bounded reads were served at, a duration), app_p50 and app_p99
// (application latency, a duration; workloads with an app tier) and
// contention_mean and contention_p99 (how long keyed requests waited for
// their row, a duration; workloads with keys). TABLE and OP may be * or left out, meaning every one;
// without @CLIENT_REGION every client region counts.
//
// Package slo reads only the result types of package scenarios (and
// raft's op names); it never runs a simulation and never reaches back into
// the engine.
package slo
