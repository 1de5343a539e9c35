package main

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/scenarios/report"
)

const explainExamples = `  regionsim explain default --survival region --jitter none --table accounts --op write --region us-west1 --duration 5s
  regionsim explain default --table users --op read --duration 5s
  regionsim explain movr --region us-east1 --duration 5s --format json`

// explainIgnored are run's flags explain has no use for: hidden, and
// refused when given.
var explainIgnored = []string{"out", "charts", "force", "assert"}

func newExplainCmd(stdout, stderr io.Writer) *cobra.Command {
	f := runFlags{stderr: stderr}
	var filter scenarios.ExplainFilter
	c := scenarioCommand("explain", "simulate a scenario and say what set each latency: the critical path at p50 and p99", `Simulate one scenario, as run does, and print what set the latency of each
table x op x client region (--table, --op and --region select; each is all
when left out): for the requests at the median and at the 99th percentile
(those in the coarse latency bucket, at most 12.5 % wide, that holds the
percentile's rank), the share of their latency each part of their critical
path took, largest first, with its mean ms and region:

  client hop            client <-> gateway, both ways
  gateway→leaseholder   the round trip to the replica that served (its region)
  gateway→follower      the same for a follower read served off the leaseholder
  evaluation            the service time at that replica
  quorum ack            the round trip from the leader to the replica whose
                        durable append completed the quorum (its region)
  fsync                 that append's log write (its region)
  commit wait           a GLOBAL write waiting out its future timestamp
  uncertainty wait      a GLOBAL read waiting for a write in its window
  lease wait            waiting at a replica for a lease (transfer, acquisition)
  Raft leader wait      a proposal waiting for an election
  redirect              attempts answered NotLeaseHolder, and the hop back
  retry/backoff         failed RPCs until noticed, and DistSender's backoff

Every request's components sum to its latency exactly. --format json prints
the selected stats with their attribution (the JSON field run writes too).

`+scenarioHelp, explainExamples)
	fs := c.Flags()
	f.bind(fs, true)
	for _, name := range explainIgnored {
		_ = fs.MarkHidden(name)
	}
	fs.StringVar(&filter.Table, "table", "", "only this table (default: every table)")
	fs.StringVar(&filter.Op, "op", "", "only this op: read, write, stale_read, bounded_read, insert or txn (default: every op)")
	fs.StringVar(&filter.Region, "region", "", "only clients in this region (default: every region)")
	c.RunE = func(*cobra.Command, []string) error {
		for _, name := range explainIgnored {
			if fs.Changed(name) {
				return badInputf("--%s: explain does not take it (it prints only; use 'regionsim run')", name)
			}
		}
		s, format, err := f.load(fs)
		if err != nil {
			return err
		}
		if format == report.CSV {
			return badInputf("--format: csv: explain prints table, json or markdown")
		}
		if err := s.CheckExplain(filter); err != nil {
			return badInput(err)
		}
		if stop, err := f.preflight(stdout, s); stop || err != nil {
			return err
		}
		res, err := f.timedRun(s)
		if err != nil {
			return err
		}
		return report.WriteExplain(stdout, res, filter.Select(res), format)
	}
	return c
}
