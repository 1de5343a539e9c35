// Package scenarios owns the scenario model: the YAML format (strict, unknown
// fields are errors), defaults and validation with messages that name the
// field and value, the built-in scenarios, workload generation, the runner
// that wires one simulation run (and many seeds in parallel), the Result
// type that reports and charts consume, the measures of a fault's impact
// computed from a Result (FaultImpacts, and per client ClientUnavailable),
// the fault sweep (Sweep, SweepResult), and the closed form beside every
// simulated figure (Expectations: the workload's requests mixed over the
// request paths of raft/closedform, Stat.ExpectedMs and Departs), and what
// set each latency (Stat.Attribution: the requests' critical paths,
// raft.Path, aggregated at p50 and p99; ExplainFilter selects them for
// `regionsim explain`). Its
// sub-package scenarios/report
// renders results as tables, CSV, JSON and Markdown; scenarios/slo checks
// SLO assertions (--assert) against results.
//
// Its sub-package scenarios/ddl reads multi-region DDL (a scenario's
// `sql:` file, or a bare .sql file) into the database and tables;
// scenarios/egress holds the providers' egress price tables that price a
// run's traffic (Result.Traffic).
//
// Package scenarios may import sim, sim/stats, topology, raft,
// scenarios/ddl and scenarios/egress; it never imports plots or cmd.
package scenarios
