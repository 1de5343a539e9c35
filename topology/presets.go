package topology

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
)

//go:generate go run ./internal/genpresets -ref ../../shared/reference/rtt -out presets

//go:embed presets/*.csv
var presetFS embed.FS

// PresetInfo describes a built-in RTT preset.
type PresetInfo struct {
	Name        string   // what --rtt and topology.rtt accept
	Description string   // one line
	Source      string   // where the numbers come from, summarised
	Regions     []string // all regions of the matrix, in file order
	Default     []string // default regions of a cluster, primary first
	Tail        string   // highest tail percentile in the data: "p99", "p90" or "" (p50 only)
}

// presetMeta is the hand-written part of a preset; the matrix comes from
// presets/<name>.csv.
type presetMeta struct {
	name, description, source string
	defaults                  []string
}

var presetMetas = presetMetasArray[:]

var presetMetasArray = [...]presetMeta{
	{
		name:        "aws",
		description: "AWS, 33 regions: cloudping.co 1-year p50 and p90 (TCP connect to a DynamoDB endpoint)",
		source:      "cloudping.co API p_50/p_90 timeframe=1Y, snapshot 2025-07-17 (github.com/commonwarexyz/monorepo examples/estimator/src/p50.json, p90.json @a9f5875d); includes ~2-5 ms endpoint overhead; from==to rows dropped (latency-data §1 CP, §2.1)",
		defaults:    []string{"us-east-1", "us-west-2", "eu-west-1"},
	},
	{
		name:        "azure",
		description: "Azure, 17 regions: Microsoft's published monthly P50",
		source:      "Microsoft Learn \"Azure network round-trip latency statistics\", monthly P50, 30 days ending 2026-07-30 (MicrosoftDocs/azure-docs articles/networking/azure-network-latency.md; latency-data §1 AZ, §2.4)",
		defaults:    []string{"eastus", "westus2", "westeurope"},
	},
	{
		name:        "crdb-demo",
		description: "the 3 regions and round trips of `cockroach demo --global`",
		source:      "cockroachdb/cockroach pkg/cli/democluster/demo_locality_list.go localityLatencies (\"collected from cloudping.co on 2019-09-11\"; latency-data §5)",
		defaults:    []string{"us-east1", "us-west1", "europe-west1"},
	},
	{
		name:        "gcp",
		description: "GCP, 20 regions: GCE-to-GCE ICMP ping mean over ~1 h (2019)",
		source:      "Fantoch latency_gcp (github.com/vitorenesduarte/fantoch @aea6e324, 2019-09), ping avg as p50 proxy (latency-data §1 FG, §2.3)",
		defaults:    []string{"us-east1", "us-west1", "europe-west1"},
	},
	{
		name:        "roachprod",
		description: "roachprod's multi-region latency injection (3 GCP regions)",
		source:      "cockroachdb/cockroach pkg/roachprod/failureinjection/failures/multiregion_latency.go defaultLatencyMap @3d89a1bc (\"copied from the GCP console\" performance dashboard); us-east/us-west/europe-west taken as us-east1/us-west1/europe-west1",
		defaults:    []string{"us-east1", "us-west1", "europe-west1"},
	},
	{
		name:        "seed-blog",
		description: "AWS eu-central-1, eu-west-3, us-east-2 (a region-survival blog example), cloudping p50 and p90",
		source:      "rows of the aws preset among these regions: cloudping.co 1Y p_50/p_90, snapshot 2025-07-17 (latency-data §2.1)",
		defaults:    []string{"eu-central-1", "eu-west-3", "us-east-2"},
	},
}

// presetCache holds each embedded preset, parsed the first time it is
// asked for (presetCache[i] is presetMetas[i]'s): a run reads one preset,
// and parsing all six on first use (the aws preset alone is 240 KB of CSV)
// was about 4 % of a users-by-city run's instructions and an eighth of its
// page faults.
var presetCache [len(presetMetasArray)]struct {
	once sync.Once
	m    *Matrix
	err  error
}

// loadPreset parses embedded preset i once. A failure is a build defect
// (the files are generated and tested), reported to every caller.
func loadPreset(i int) (*Matrix, error) {
	c := &presetCache[i]
	c.once.Do(func() {
		p := presetMetas[i]
		b, err := fs.ReadFile(presetFS, "presets/"+p.name+".csv")
		if err != nil {
			c.err = fmt.Errorf("topology: preset %q: %w", p.name, err)
			return
		}
		m, err := ParseCSV(bytes.NewReader(b), p.name)
		if err != nil {
			c.err = err
			return
		}
		m.defaults = slices.Clone(p.defaults)
		if _, err := m.Select(p.defaults); err != nil {
			c.err = fmt.Errorf("topology: preset %q: default regions: %w", p.name, err)
			return
		}
		c.m = m
	})
	return c.m, c.err
}

// PresetNames returns the names of the built-in presets, sorted.
func PresetNames() []string {
	names := make([]string, len(presetMetas))
	for i, p := range presetMetas {
		names[i] = p.name
	}
	slices.Sort(names)
	return names
}

// Presets describes the built-in RTT presets, sorted by name.
func Presets() []PresetInfo {
	var out []PresetInfo
	for i, p := range presetMetas {
		m, err := loadPreset(i)
		if err != nil {
			panic(err) // the embedded files are part of the build
		}
		out = append(out, PresetInfo{
			Name: p.name, Description: p.description, Source: p.source,
			Regions: m.Regions(), Default: slices.Clone(p.defaults), Tail: m.tailName(),
		})
	}
	slices.SortFunc(out, func(a, b PresetInfo) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// LoadPreset returns the matrix of a built-in preset, or an error wrapping
// ErrUnknownPreset. The matrix is shared and immutable.
func LoadPreset(name string) (*Matrix, error) {
	for i, p := range presetMetas {
		if p.name == name {
			return loadPreset(i)
		}
	}
	return nil, fmt.Errorf("topology: rtt: %w %q (presets: %s)", ErrUnknownPreset, name, strings.Join(PresetNames(), ", "))
}

// LoadRTT resolves an RTT spec, the value of topology.rtt or --rtt: a preset
// name, else a path to a CSV file read with ParseCSV. A spec that is neither
// yields an error wrapping ErrUnknownPreset (and the file error).
func LoadRTT(spec string) (*Matrix, error) {
	if spec == "" {
		return nil, fmt.Errorf("topology.rtt: empty (want a preset: %s; or a CSV file path)", strings.Join(PresetNames(), ", "))
	}
	if slices.Contains(PresetNames(), spec) {
		return LoadPreset(spec)
	}
	f, err := os.Open(spec)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("topology.rtt: %q is neither a preset (%s) nor a readable CSV file: %w: %w",
				spec, strings.Join(PresetNames(), ", "), ErrUnknownPreset, err)
		}
		return nil, fmt.Errorf("topology.rtt: %w", err)
	}
	defer f.Close()
	return ParseCSV(f, spec)
}

// WritePresets prints the preset list (the `regionsim presets` command):
// name, region count, default regions and description, then each preset's
// source.
func WritePresets(w io.Writer) error {
	ps := Presets()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PRESET\tREGIONS\tTAIL\tDEFAULT REGIONS\tDESCRIPTION")
	for _, p := range ps {
		tail := p.Tail
		if tail == "" {
			tail = "-"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", p.Name, len(p.Regions), tail, strings.Join(p.Default, ","), p.Description)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if _, err := fmt.Fprintln(w, "\nSources:"); err != nil {
		return err
	}
	for _, p := range ps {
		if _, err := fmt.Fprintf(w, "  %s: %s\n", p.Name, p.Source); err != nil {
			return err
		}
	}
	return nil
}
