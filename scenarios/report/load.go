package report

import (
	"fmt"
	"strings"

	"github.com/regionsim/regionsim/scenarios"
)

// loadSection is the node load of r (Result.RegionLoad, Result.NodeLoad):
// per region the mean and peak CPU and disk utilisation and its busiest
// node, and every saturated node. It is absent for a Result without
// node load (built by hand, or pooled over seeds).
func loadSection(r *scenarios.Result) (section, bool) {
	if len(r.RegionLoad) == 0 || len(r.NodeLoad) == 0 {
		return section{}, false
	}
	g := &grid{cols: []column{
		{"region", left}, {"vCPUs", right}, {"cpu mean %", right}, {"cpu peak %", right}, {"busiest node", left},
		{"disk mean %", right}, {"disk peak %", right}, {"timed out", right},
	}}
	for _, rl := range r.RegionLoad {
		busiest := -1
		for i, nl := range r.NodeLoad {
			if nl.Region == rl.Region && (busiest < 0 || nl.CPUUtilPeak > r.NodeLoad[busiest].CPUUtilPeak) {
				busiest = i
			}
		}
		b := ""
		if busiest >= 0 {
			b = fmt.Sprintf("%s (peak %s %%)", r.NodeLoad[busiest].Node, pct1(r.NodeLoad[busiest].CPUUtilPeak))
		}
		g.add(rl.Region, vcpuRange(r.NodeLoad, rl.Region), pct1(rl.CPUUtilMean), pct1(rl.CPUUtilPeak), b,
			pct1(rl.DiskUtilMean), pct1(rl.DiskUtilPeak), fmt.Sprint(rl.TimedOut))
	}
	var saturated []string
	for _, nl := range r.NodeLoad {
		if nl.Saturated {
			saturated = append(saturated, fmt.Sprintf("%s (cpu peak %s %%, queue peak %.1f, %d timed out)",
				nl.Node, pct1(nl.CPUUtilPeak), nl.QueuePeak, nl.TimedOut))
		}
	}
	summary := "no node saturated"
	if len(saturated) > 0 {
		summary = "saturated: " + strings.Join(saturated, ", ")
	}
	return section{
		name: "node load", summary: summary,
		parts: []part{{fmt.Sprintf("by region (per %gs interval)", r.LoadIntervalSeconds), g}},
		notes: []string{"vCPUs: per node (0: no CPU queue); cpu: evaluations and Raft processing over the node's vCPUs; disk: share of time a Raft log sync was in flight;",
			"peak: the busiest interval; timed out: evaluations that gave up waiting for a CPU (each failed its request)."},
	}, true
}

// vcpuRange is the vCPU count of region's nodes in nl: "8", or "4–8"
// when they differ.
func vcpuRange(nl []scenarios.NodeLoad, region string) string {
	lo, hi := -1, -1
	for _, n := range nl {
		if n.Region != region {
			continue
		}
		if lo < 0 || n.VCPUs < lo {
			lo = n.VCPUs
		}
		hi = max(hi, n.VCPUs)
	}
	if lo == hi {
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%d–%d", lo, hi)
}

// pct1 formats a fraction as a percentage with one decimal.
func pct1(f float64) string { return fmt.Sprintf("%.1f", 100*f) }
