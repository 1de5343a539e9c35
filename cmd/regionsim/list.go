package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/scenarios/report"
	"github.com/regionsim/regionsim/topology"
)

// listFormat is --format of a listing command (scenarios, presets,
// topology).
type listFormat struct{ name string }

func (f *listFormat) bind(fs *pflag.FlagSet) {
	fs.StringVar(&f.name, "format", "table", "output format: table (for people), csv, json or markdown (one table of records per section)")
}

// write writes the table form with text, any other with the listing that
// list returns.
func (f *listFormat) write(w io.Writer, text func(io.Writer) error, list func() report.Listing) error {
	format, err := report.ParseFormat(f.name)
	if err != nil {
		return badInputf("--format: %v", err)
	}
	if format == report.Table {
		return text(w)
	}
	return report.WriteListing(w, list(), format)
}

func newScenariosCmd(stdout, _ io.Writer) *cobra.Command {
	var format listFormat
	c := &cobra.Command{
		Use:   "scenarios",
		Short: "list the built-in scenarios",
		Long: `List the built-in scenarios with a one-line description each. Any of
them is a SCENARIO of run, compare, sweep and topology.`,
		Example: scenariosExamples,
		Args:    noArgs,
		RunE: func(*cobra.Command, []string) error {
			return format.write(stdout, func(w io.Writer) error {
				for _, b := range scenarios.Builtins() {
					if _, err := fmt.Fprintf(w, "%-20s %s\n", b.Name, b.Description); err != nil {
						return err
					}
				}
				return nil
			}, func() report.Listing { return report.ScenariosListing(scenarios.Builtins()) })
		},
	}
	format.bind(c.Flags())
	return c
}

func newPresetsCmd(stdout, _ io.Writer) *cobra.Command {
	var format listFormat
	c := &cobra.Command{
		Use:   "presets",
		Short: "list the built-in RTT presets with their regions and sources",
		Long: `List the built-in RTT presets: name, regions, default regions and where
the numbers come from. Use a preset with --rtt NAME, or pass a CSV file
(from,to,p50_ms[,p99_ms]) instead.`,
		Example: presetsExamples,
		Args:    noArgs,
		RunE: func(*cobra.Command, []string) error {
			return format.write(stdout, topology.WritePresets,
				func() report.Listing { return report.PresetsListing(topology.Presets()) })
		},
	}
	format.bind(c.Flags())
	return c
}
