// Package advise owns `regionsim advise`: given a scenario and SLOs, it
// enumerates the multi-region design space (survival goal × primary and
// secondary region × num_voters × each table's locality, or no
// multi-region SQL at all), counts the configurations CockroachDB refuses,
// prunes with the closed form (raft/closedform, Scenario.Expectations) the
// ones whose fastest possible latency already misses a latency SLO,
// simulates the rest (a run without faults for the latency SLOs, and one
// per region or AZ outage when a survival SLO asks for it), and ranks
// them: those that meet every SLO first, by their mean latency; then those
// that miss, by what they miss.
//
// The work is a Plan of independent runs, each a pure function of the
// scenario and its index, run in parallel (results do not depend on the
// parallelism) and assembled in index order, so a plan can also be split
// into shards whose runs are merged back exactly (Plan.RunShard,
// Plan.Assemble).
//
// Package advise imports scenarios, scenarios/slo and raft's closed form;
// it never reads the wall clock and never reaches into a running engine.
package advise
