package schema

import (
	"reflect"
	"strings"

	"github.com/regionsim/regionsim/raft"
	"github.com/regionsim/regionsim/raft/allocator"
	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/scenarios/report"
	"github.com/regionsim/regionsim/sim/stats"
	"github.com/regionsim/regionsim/topology"
)

// Module is regionsim's module path.
const Module = "github.com/regionsim/regionsim"

// Packages are the packages whose types the schemas describe: ReadDocs
// needs their doc comments.
var Packages = []string{
	Module + "/scenarios",
	Module + "/scenarios/report",
	Module + "/scenarios/advise",
	Module + "/topology",
	Module + "/raft",
	Module + "/raft/placement",
	Module + "/raft/allocator",
	Module + "/sim/stats",
}

// File names of the committed schemas, under docs/schema.
const (
	ScenarioFile = "scenario.schema.json"
	OutputFile   = "output.schema.json"
)

// anys converts a list of values to []any for an enum.
func anys[T any](vs ...T) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}

// orEmpty is anys with "" first: the loader reads an empty value of these
// fields as their default.
func orEmpty[T ~string](vs ...T) []any { return append([]any{""}, anys(vs...)...) }

func key(t reflect.Type, property string) string { return goName(t) + "." + property }

// scenarioRules adds to g what the scenario file's loader checks beyond the
// Go types: the values of enumerated fields, bounds, required fields. They
// are read from the validating packages' exported values, so they follow
// them. A field is required only where the loader refuses a file without
// it: the schema never rejects a file regionsim runs.
func scenarioRules(g *generator) {
	table, wl := reflect.TypeFor[scenarios.Table](), reflect.TypeFor[scenarios.Workload]()
	fault, profile := reflect.TypeFor[scenarios.Fault](), reflect.TypeFor[scenarios.Profile]()
	rsize := reflect.TypeFor[topology.RegionSize]()
	topo, crdb, db := reflect.TypeFor[topology.Config](), reflect.TypeFor[raft.Config](), reflect.TypeFor[placement.Database]()
	var ops []string
	for _, op := range raft.Ops() {
		ops = append(ops, op.String())
	}
	localities := []placement.Locality{placement.LocalityRegionalByTable, placement.LocalityRegionalByRow,
		placement.LocalityGlobal, placement.LocalityNone}
	g.annotations = map[string]Annotation{
		key(topo, "rtt"):              {Examples: anys(topology.PresetNames()...)},
		key(topo, "zones_per_region"): {Minimum: ptr(1), Maximum: ptr(26)},
		key(topo, "nodes_per_zone"):   {Minimum: ptr(1), Maximum: ptr(100)},
		key(topo, "region_sizes"): {Examples: []any{map[string]any{
			"us-east1": map[string]any{"zones": 3, "nodes_per_zone": 2}, "us-west1": map[string]any{"zones": 2},
			"europe-west1": map[string]any{"nodes": []any{2, 1, 1}}}}},
		key(rsize, "zones"):           {Minimum: ptr(1), Maximum: ptr(26)},
		key(rsize, "nodes_per_zone"):  {Minimum: ptr(1), Maximum: ptr(100)},
		key(topo, "jitter"):           {Enum: anys(topology.JitterNone, topology.JitterLognormal)},
		key(crdb, "version"):          {Enum: anys(raft.Versions...)},
		key(db, "survival"):           {Enum: orEmpty(placement.SurvivalZone, placement.SurvivalRegion)},
		key(db, "placement"):          {Enum: orEmpty(placement.PlacementDefault, placement.PlacementRestricted)},
		key(db, "num_voters"):         {Minimum: ptr(1)},
		key(db, "num_replicas"):       {Minimum: ptr(1)},
		key(table, "num_voters"):      {Minimum: ptr(1)},
		key(table, "num_replicas"):    {Minimum: ptr(1)},
		key(table, "locality"):        {Enum: orEmpty(localities...)},
		key(table, "ranges"):          {Minimum: ptr(1), Maximum: ptr(scenarios.MaxRanges)},
		key(table, "rows"):            {Minimum: ptr(1), Maximum: ptr(scenarios.MaxRows)},
		key(table, "txn_ranges"):      {Minimum: ptr(1), Maximum: ptr(scenarios.MaxTxnRanges)},
		key(table, "row_regions"):     {ValuesMinimum: ptr(0), ValuesMaximum: ptr(1)},
		key(table, "primary_key"):     {Enum: orEmpty(scenarios.PrimaryKeys...)},
		key(table, "lookup"):          {Enum: orEmpty(scenarios.Lookups...)},
		key(wl, "rate"):               {Minimum: ptr(0), Maximum: ptr(scenarios.MaxRate)},
		key(wl, "mix"):                {PropertyNames: anys(ops...), ValuesMinimum: ptr(0), ValuesMaximum: ptr(1)},
		key(wl, "local_rows"):         {Minimum: ptr(0), Maximum: ptr(1)},
		key(wl, "gateway"):            {Enum: orEmpty(scenarios.GatewayModes...)},
		key(wl, "keys"):               {Minimum: ptr(0), Maximum: ptr(scenarios.MaxKeys)},
		key(wl, "distribution"):       {Enum: orEmpty(scenarios.Distributions...)},
		key(wl, "zipf_exponent"):      {Minimum: ptr(0), Maximum: ptr(scenarios.MaxZipfExponent)},
		key(wl, "hot_share"):          {Minimum: ptr(0), Maximum: ptr(1)},
		key(wl, "hot_keys"):           {Minimum: ptr(0), Maximum: ptr(scenarios.MaxKeys)},
		key(profile, "kind"):          {Enum: anys(scenarios.ProfileFollowTheSun)},
		key(profile, "peak_hour"):     {Minimum: ptr(0), ExclusiveMaximum: ptr(24)},
		key(profile, "start_hour"):    {Minimum: ptr(0), ExclusiveMaximum: ptr(24)},
		key(profile, "steps_per_day"): {Minimum: ptr(1), Maximum: ptr(1440)},
		key(fault, "kind"):            {Enum: anys(scenarios.FaultKinds...)},
		key(fault, "mode"):            {Enum: orEmpty(scenarios.FaultModes...)},
		key(reflect.TypeFor[allocator.Settings](), "replica_stats_windows"): {Minimum: ptr(1)},
	}
	g.required = map[string][]string{
		goName(table):   {"name"},
		goName(wl):      {"region", "table"},
		goName(fault):   {"kind", "for"},
		goName(profile): {"kind", "peak_rate"},
	}
}

// ScenarioSchema returns the JSON Schema of a scenario file: the
// scenarios.Scenario type by its yaml tags, at the root, with its nested
// types under $defs.
func ScenarioSchema(docs Docs) (*Schema, error) {
	g := newGenerator(docs)
	scenarioRules(g)
	// The root is the Scenario's object itself, not a reference to it, so
	// that editors complete its fields; nothing refers back to it.
	ref := g.schemaOf(reflect.TypeFor[scenarios.Scenario](), yamlTags)
	name := strings.TrimPrefix(ref.Ref, "#/$defs/")
	root := *g.defs[name]
	delete(g.defs, name)
	root.Schema = Draft
	root.Title = "regionsim scenario file"
	root.Description = "A regionsim scenario (YAML or JSON): the cluster, the database, tables, workload and faults " +
		"of one simulation. It needs tables and a workload to measure anything; every other field has a default. " +
		"Durations are Go durations " +
		"(e.g. 1m30s); times (at) count from the start of the run, warmup included; rates are requests per second. " +
		"regionsim checks more than this schema can (names that must exist, shares that must sum to 1): " +
		"`regionsim topology FILE` validates a file without running it."
	root.Defs = g.defs
	if g.err == nil {
		g.err = g.unused()
	}
	return &root, g.err
}

// OutputSchema returns the JSON Schema of the JSON documents the CLI
// writes: one of report.RunDocument, CompareDocument and SweepDocument (by
// their json tags, kind fixed, schema_version fixed at
// report.SchemaVersion), with the resolved scenario described as a
// scenario file.
func OutputSchema(docs Docs) (*Schema, error) {
	g := newGenerator(docs)
	scenarioRules(g)
	g.special[reflect.TypeFor[scenarios.Scenario]()] = specialType{reflect.TypeFor[scenarios.Scenario](), yamlTags}
	g.special[reflect.TypeFor[stats.Histogram]()] = specialType{reflect.TypeFor[stats.HistogramJSON](), jsonTags}
	header := reflect.TypeFor[report.Header]()
	root := &Schema{
		Schema: Draft,
		Title:  "regionsim JSON output",
		Description: "A JSON document written by regionsim run, compare, sweep, explain or advise (--format json, and result.json or " +
			"sweep.json under --out); run and compare with --seeds N write the kinds seeds and compare-seeds, explain the kind explain, advise the kind advise. Every kind shares schema_version, tool_version, kind, scenario, seeds and " +
			"resolved_scenario. Latencies are in milliseconds, times in seconds since the start of the run.",
	}
	kinds := []struct {
		t    reflect.Type
		kind string
	}{
		{reflect.TypeFor[report.RunDocument](), report.KindRun},
		{reflect.TypeFor[report.CompareDocument](), report.KindCompare},
		{reflect.TypeFor[report.SweepDocument](), report.KindSweep},
		{reflect.TypeFor[report.SeedsDocument](), report.KindSeeds},
		{reflect.TypeFor[report.CompareSeedsDocument](), report.KindCompareSeeds},
		{reflect.TypeFor[report.ExplainDocument](), report.KindExplain},
		{reflect.TypeFor[report.AdviseDocument](), report.KindAdvise},
	}
	for _, k := range kinds {
		g.annotations[key(header, "kind")] = Annotation{Const: k.kind}
		g.annotations[key(header, "schema_version")] = Annotation{Const: report.SchemaVersion}
		// Each document inlines the header: its properties are made
		// again for each kind, with that kind's constant.
		root.OneOf = append(root.OneOf, g.schemaOf(k.t, jsonTags))
	}
	root.Defs = g.defs
	if g.err == nil {
		g.err = g.unused()
	}
	return root, g.err
}
