package main

import (
	"fmt"
	"io"

	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/scenarios/report"
	"github.com/regionsim/regionsim/topology"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// topologyFlags binds the topology section of a scenario to flags.
func topologyFlags(fs *pflag.FlagSet, cfg *topology.Config) {
	fs.StringVar(&cfg.RTT, "rtt", cfg.RTT, "RTT preset name (see 'regionsim presets') or path to a CSV file from,to,p50_ms[,p99_ms]")
	fs.StringSliceVar(&cfg.Regions, "regions", cfg.Regions, "regions to use, comma-separated, primary first (default: the preset's default regions)")
	fs.IntVar(&cfg.ZonesPerRegion, "zones-per-region", cfg.ZonesPerRegion, "availability zones per region")
	fs.IntVar(&cfg.NodesPerZone, "nodes-per-zone", cfg.NodesPerZone, "nodes per availability zone")
	fs.DurationVar(&cfg.InterZoneRTT, "inter-zone-rtt", cfg.InterZoneRTT, "RTT between AZs of one region (p50)")
	fs.DurationVar(&cfg.IntraZoneRTT, "intra-zone-rtt", cfg.IntraZoneRTT, "RTT between nodes of one AZ (p50)")
	fs.StringVar(&cfg.Jitter, "jitter", cfg.Jitter, "latency jitter: none (every hop takes its p50) or lognormal (fitted per link)")
}

func newTopologyCmd(stdout, stderr io.Writer) *cobra.Command {
	cfg := topology.DefaultConfig()
	var format listFormat
	c := scenarioCommand("topology", "print the resolved cluster layout and RTT matrix", `Print the resolved cluster: regions, availability zones and nodes with
their locality tiers, and the RTT matrix between regions (p50 and, where
the data has one, the tail percentile), with the source of the numbers.

With SCENARIO (a built-in name, a YAML file, - for standard input, or a
.sql file of CockroachDB multi-region DDL: CREATE/ALTER DATABASE and
CREATE/ALTER TABLE … LOCALITY) the cluster is the scenario's (a .sql
file's spans its database regions), the flags override its topology
section and --survival its survival goal,
and the database follows (its regions, survival goal, replica counts and
super regions), then every table's zone config (and the super region it
is confined to) and replica layout: voters, non-voters and leaseholder of
each range, exactly as 'regionsim run' places them for the scenario's
seed.`, topologyExamples)
	fs := c.Flags()
	topologyFlags(fs, &cfg)
	var survival string
	fs.StringVar(&survival, "survival", "", "survival goal: zone or region (default: the scenario's)")
	format.bind(fs)
	c.RunE = func(*cobra.Command, []string) error {
		if fs.NArg() > 1 {
			return badInputf("unexpected argument %q (one scenario at a time)", fs.Arg(1))
		}
		if fs.NArg() == 0 {
			c, err := topology.Build(cfg)
			if err != nil {
				return badInput(err)
			}
			return format.write(stdout, c.WriteSummary,
				func() report.Listing { return report.TopologyListing(c, nil, nil) })
		}
		s, err := loadScenario(fs.Arg(0))
		if err != nil {
			return badInput(err)
		}
		noteSkippedSQL(stderr, "topology", s)
		// Flags the user set override the scenario's topology section; --rtt
		// and --regions as in 'regionsim run' (regions the new spec lacks are
		// mapped), then the scenario is validated.
		var o scenarios.Overrides
		fs.Visit(func(f *pflag.Flag) {
			switch f.Name {
			case "survival":
				o.Survival = survival
			case "rtt":
				o.RTT = cfg.RTT
			case "regions":
				o.Regions = cfg.Regions
			case "zones-per-region":
				s.Topology.ZonesPerRegion = cfg.ZonesPerRegion
			case "nodes-per-zone":
				s.Topology.NodesPerZone = cfg.NodesPerZone
			case "inter-zone-rtt":
				s.Topology.InterZoneRTT = cfg.InterZoneRTT
			case "intra-zone-rtt":
				s.Topology.IntraZoneRTT = cfg.IntraZoneRTT
			case "jitter":
				s.Topology.Jitter = cfg.Jitter
			}
		})
		renames, err := s.RegionRenames(o)
		if err == nil {
			err = s.Override(o)
		}
		if err != nil {
			if e := regionMapInput(err); e != nil {
				return e
			}
			return badInput(err)
		}
		noteRenames(stderr, "topology", o, renames)
		layouts, err := s.Place()
		if err != nil {
			return badInput(err)
		}
		for _, w := range s.UnderReplication(layouts) {
			fmt.Fprintf(stderr, "regionsim topology: warning: %s\n", w)
		}
		return format.write(stdout, func(w io.Writer) error {
			if err := s.Cluster().WriteSummary(w); err != nil {
				return err
			}
			return report.WriteLayouts(w, s.Cluster(), s.ResolvedDatabase(), s.Tables, layouts)
		}, func() report.Listing {
			l := report.TopologyListing(s.Cluster(), s.Tables, layouts)
			if sec, ok := report.SuperRegionsSection(s.ResolvedDatabase()); ok {
				l = append(l, sec)
			}
			return l
		})
	}
	return c
}
