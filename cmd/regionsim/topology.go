package main

import (
	"io"

	"github.com/regionsim/regionsim/topology"
	"github.com/spf13/pflag"
)

func runPresets(args []string, stdout, _ io.Writer) error {
	fs := newFlags("presets", stdout, `List the built-in RTT presets: name, regions, default regions and where
the numbers come from. Use a preset with --rtt NAME, or pass a CSV file
(from,to,p50_ms[,p99_ms]) instead.`)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	return topology.WritePresets(stdout)
}

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

func runTopology(args []string, stdout, _ io.Writer) error {
	cfg := topology.DefaultConfig()
	fs := newFlags("topology", stdout, `Print the resolved cluster: regions, availability zones and nodes with
their locality tiers, and the RTT matrix between regions (p50 and, where
the data has one, the tail percentile), with the source of the numbers.`)
	topologyFlags(fs, &cfg)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	c, err := topology.Build(cfg)
	if err != nil {
		return badInput(err)
	}
	return c.WriteSummary(stdout)
}
