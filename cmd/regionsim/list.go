package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/topology"
)

func newScenariosCmd(stdout, _ io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:     "scenarios",
		Short:   "list the built-in scenarios",
		Long:    "List the built-in scenarios with a one-line description each.",
		Example: scenariosExamples,
		Args:    noArgs,
		RunE: func(*cobra.Command, []string) error {
			for _, b := range scenarios.Builtins() {
				if _, err := fmt.Fprintf(stdout, "%-20s %s\n", b.Name, b.Description); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

func newPresetsCmd(stdout, _ io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "presets",
		Short: "list the built-in RTT presets with their regions and sources",
		Long: `List the built-in RTT presets: name, regions, default regions and where
the numbers come from. Use a preset with --rtt NAME, or pass a CSV file
(from,to,p50_ms[,p99_ms]) instead.`,
		Example: presetsExamples,
		Args:    noArgs,
		RunE: func(*cobra.Command, []string) error {
			return topology.WritePresets(stdout)
		},
	}
}
