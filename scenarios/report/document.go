package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"sync"

	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/scenarios/advise"
)

// SchemaVersion is the version of the data contract of every JSON document
// regionsim writes (RunDocument, CompareDocument, SweepDocument), as
// docs/schema/output.schema.json describes it. It changes only when a
// change could break a reader of an earlier version: a field removed,
// renamed, or given another type, unit or meaning. Adding a field does not
// change it (readers must ignore fields they do not know). See
// docs/output.md.
const SchemaVersion = 1

// Document kinds: Header.Kind.
const (
	KindRun     = "run"
	KindCompare = "compare"
	KindSweep   = "sweep"
	// KindSweepPart is one shard's share of a sweep (sweep --shard), the
	// input of `regionsim merge`.
	KindSweepPart = "sweep-part"
	// KindSeedsPart is one shard of a run over several seeds (run --seeds
	// N --shard i/N), the other input of `regionsim merge`.
	KindSeedsPart = "seeds-part"
	// KindAdvisePart is one shard of an advise search's runs (advise
	// --shard i/N), also for `regionsim merge`.
	KindAdvisePart = "advise-part"
)

// Header opens every JSON document regionsim writes.
type Header struct {
	// SchemaVersion is the version of the data contract the document
	// follows (report.SchemaVersion): it changes only when a field is
	// removed, renamed or changes type, unit or meaning.
	SchemaVersion int `json:"schema_version"`
	// ToolVersion is the regionsim build that wrote the document: the
	// module version stamped into the binary, or "devel" (report.ToolVersion).
	ToolVersion string `json:"tool_version"`
	// Kind is what the document holds: "run", "compare", "sweep", or
	// "sweep-part" (one shard of a sweep, for `regionsim merge`).
	Kind string `json:"kind"`
}

// RunDocument is the JSON of one run (`regionsim run --format json`,
// result.json): the Header, the run's seed as Seeds, every field of the
// Result, and the scenario it ran.
type RunDocument struct {
	Header
	// Seeds is the run's seed, as a list so that every kind of document
	// has one.
	Seeds []uint64 `json:"seeds"`
	scenarios.Result
	// ResolvedScenario is the scenario the run simulated, after flags and
	// defaults, as a scenario file (scenarios.Scenario.MarshalJSON):
	// `regionsim run` of it repeats the run.
	ResolvedScenario *scenarios.Scenario `json:"resolved_scenario"`
}

// CompareDocument is the JSON of `regionsim compare` (--format json,
// result.json): the Header, the scenario's name, the seeds of the runs,
// the runs (each a Result), and the scenario compared.
type CompareDocument struct {
	Header
	// Scenario names the scenario compared.
	Scenario string `json:"scenario"`
	// Seeds are the runs' seeds, each once, in run order.
	Seeds []uint64 `json:"seeds"`
	scenarios.Comparison
	// ResolvedScenario is the scenario compared, after flags and defaults,
	// as a scenario file; each run sets its own database.survival.
	ResolvedScenario *scenarios.Scenario `json:"resolved_scenario"`
}

// SweepDocument is the JSON of `regionsim sweep` (--format json,
// sweep.json): the Header, every field of the SweepResult (its scenario
// name and seeds among them), and the scenario swept.
type SweepDocument struct {
	Header
	scenarios.SweepResult
	// ResolvedScenario is the scenario swept, after flags and defaults,
	// without faults, with the first seed, as a scenario file.
	ResolvedScenario *scenarios.Scenario `json:"resolved_scenario"`
}

// toolVersion is computed once: a binary's documents all carry the same.
var toolVersion = sync.OnceValue(func() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
})

// ToolVersion returns the version of the running regionsim build: its main
// module's version as the Go toolchain stamped it (e.g. v0.2.0, or a
// pseudo-version of the commit), or "devel" for a build without one (go
// run, tests, -buildvcs=false). It is the same for every call in one
// process, so documents stay byte-identical across runs of one binary.
func ToolVersion() string { return toolVersion() }

func header(kind string) Header {
	return Header{SchemaVersion: SchemaVersion, ToolVersion: ToolVersion(), Kind: kind}
}

// runDocument returns the document WriteResult writes as JSON for r: r
// normalised (nil lists as [], nil phase maps as {}); r is not modified.
func runDocument(r *scenarios.Result) RunDocument {
	return RunDocument{
		Header: header(KindRun), Seeds: []uint64{r.Seed},
		Result: normalised(r), ResolvedScenario: r.Resolved,
	}
}

// compareDocument returns the document WriteComparison writes as JSON for
// c: the runs normalised as in runDocument, the scenario name of the
// resolved scenario (else of the first run); c is not modified.
func compareDocument(c *scenarios.Comparison) CompareDocument {
	d := CompareDocument{Header: header(KindCompare), Seeds: []uint64{}, ResolvedScenario: c.Resolved}
	d.Skipped = c.Skipped
	if d.Skipped == nil {
		d.Skipped = []string{}
	}
	d.Verdict = c.Verdict
	d.Runs = make([]scenarios.Result, len(c.Runs))
	for i := range c.Runs {
		d.Runs[i] = normalised(&c.Runs[i])
		if !slices.Contains(d.Seeds, c.Runs[i].Seed) {
			d.Seeds = append(d.Seeds, c.Runs[i].Seed)
		}
	}
	switch {
	case c.Resolved != nil:
		d.Scenario = c.Resolved.Name
	case len(c.Runs) > 0:
		d.Scenario = c.Runs[0].Scenario
	}
	return d
}

// sweepDocument returns the document WriteSweep writes as JSON for r: r
// with nil lists as []; r is not modified.
func sweepDocument(r *scenarios.SweepResult) SweepDocument {
	return SweepDocument{Header: header(KindSweep), SweepResult: normalisedSweep(r), ResolvedScenario: r.Resolved}
}

// SweepPartDocument is the JSON of one shard of a sweep (`regionsim sweep
// --shard i/N`): the Header, the part (the sweep's parameters, which
// shard, and its runs, each a Result trimmed to what a sweep reads, with
// the latency histograms a merge pools), and the scenario swept.
// `regionsim merge` of every shard's document prints what the unsharded
// sweep prints.
type SweepPartDocument struct {
	Header
	scenarios.SweepPart
	// ResolvedScenario is the scenario swept, as in SweepDocument.
	ResolvedScenario *scenarios.Scenario `json:"resolved_scenario"`
}

// WriteSweepPart writes p as a SweepPartDocument to w in one Write: compact
// JSON on one line (a part is read by merge, not by people, and is a
// quarter of the size indented).
func WriteSweepPart(w io.Writer, p *scenarios.SweepPart) error {
	if p == nil || p.Header == nil {
		return errors.New("report: nil sweep part")
	}
	return encodeJSON(w, SweepPartDocument{Header: header(KindSweepPart), SweepPart: *p, ResolvedScenario: p.Header.Resolved}, false)
}

// SeedsPartDocument is the JSON of one shard of a run over several seeds
// (`regionsim run --seeds N --shard i/N`): the Header, the part (every
// seed, which shard, and its runs) and the scenario run.
type SeedsPartDocument struct {
	Header
	scenarios.SeedsPart
	// ResolvedScenario is the scenario run, with the first seed.
	ResolvedScenario *scenarios.Scenario `json:"resolved_scenario"`
}

// WriteSeedsPart writes p as a SeedsPartDocument, compact JSON on one line,
// to w in one Write.
func WriteSeedsPart(w io.Writer, p *scenarios.SeedsPart) error {
	if p == nil {
		return errors.New("report: nil seeds part")
	}
	return encodeJSON(w, SeedsPartDocument{Header: header(KindSeedsPart), SeedsPart: *p, ResolvedScenario: p.Resolved}, false)
}

// AdvisePartDocument is the JSON of one shard of `regionsim advise
// --shard i/N`: the Header and the part (the plan, which shard, its runs
// and the scenario advised on).
type AdvisePartDocument struct {
	Header
	advise.Part
}

// WriteAdvisePart writes p as an AdvisePartDocument, compact JSON on one
// line, to w in one Write.
func WriteAdvisePart(w io.Writer, p *advise.Part) error {
	if p == nil || p.Plan == nil {
		return errors.New("report: nil advise part")
	}
	return encodeJSON(w, AdvisePartDocument{Header: header(KindAdvisePart), Part: *p}, false)
}

// Part is a part document read by ReadPart: exactly one of Sweep, Seeds
// and Advise is set.
type Part struct {
	Sweep  *scenarios.SweepPart
	Seeds  *scenarios.SeedsPart
	Advise *advise.Part
}

// ReadPart reads a part written by WriteSweepPart, WriteSeedsPart or
// WriteAdvisePart. It
// refuses another kind of document, another schema version and unknown
// fields, naming them.
func ReadPart(r io.Reader) (Part, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return Part{}, err
	}
	var h Header
	if err := json.Unmarshal(raw, &h); err != nil {
		return Part{}, fmt.Errorf("not a part document: %w", err)
	}
	if h.Kind != KindSweepPart && h.Kind != KindSeedsPart && h.Kind != KindAdvisePart {
		return Part{}, fmt.Errorf("kind %q is not a part (%q, %q or %q): merge reads the output of sweep --shard, run --seeds --shard and advise --shard",
			h.Kind, KindSweepPart, KindSeedsPart, KindAdvisePart)
	}
	if h.SchemaVersion != SchemaVersion {
		return Part{}, fmt.Errorf("schema_version %d: this regionsim reads %d", h.SchemaVersion, SchemaVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if h.Kind == KindAdvisePart {
		var d AdvisePartDocument
		if err := dec.Decode(&d); err != nil {
			return Part{}, fmt.Errorf("advise part: %w", err)
		}
		if d.Plan == nil {
			return Part{}, errors.New("advise part without its plan")
		}
		p := d.Part
		return Part{Advise: &p}, nil
	}
	if h.Kind == KindSeedsPart {
		var d SeedsPartDocument
		if err := dec.Decode(&d); err != nil {
			return Part{}, fmt.Errorf("seeds part: %w", err)
		}
		p := d.SeedsPart
		p.Resolved = d.ResolvedScenario
		return Part{Seeds: &p}, nil
	}
	var d SweepPartDocument
	if err := dec.Decode(&d); err != nil {
		return Part{}, fmt.Errorf("sweep part: %w", err)
	}
	if d.SweepPart.Header == nil {
		return Part{}, errors.New("sweep part without its sweep")
	}
	p := d.SweepPart
	h2 := *p.Header
	h2.Resolved = d.ResolvedScenario
	p.Header = &h2
	return Part{Sweep: &p}, nil
}
