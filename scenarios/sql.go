package scenarios

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/scenarios/ddl"
	"github.com/regionsim/regionsim/topology"
)

// This file turns multi-region DDL (package ddl) into a scenario's database
// and tables: a scenario file's `sql:` field, or a bare .sql file given
// where a scenario is expected.

// IsSQLPath reports whether a scenario argument names a DDL file (it ends
// in .sql, any case).
func IsSQLPath(arg string) bool { return strings.EqualFold(filepath.Ext(arg), ".sql") }

// readSchema reads and parses the DDL file at path; errors are *Error with
// field (the scenario field that named the file, or "").
func readSchema(path, source, field string) (*ddl.Schema, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Source: source, Field: field, Err: fmt.Errorf("reading the DDL: %w", err)}
	}
	schema, err := ddl.Parse(data, path)
	if err != nil {
		return nil, &Error{Source: source, Field: field, Err: err}
	}
	return schema, nil
}

// skipped lists the statements of schema the reader skipped, as "line N:
// KIND".
func skipped(schema *ddl.Schema) []string {
	var out []string
	for _, ig := range schema.Ignored {
		out = append(out, fmt.Sprintf("line %d: %s", ig.Line, ig.Kind))
	}
	return out
}

// SQLSkipped returns the statements of the scenario's DDL that were read
// but skipped because they cannot change placement (ddl.IgnoredKinds), as
// "line N: KIND", in order; nil without DDL. The CLI says so, so that no
// statement is dropped silently.
func (s *Scenario) SQLSkipped() []string { return slices.Clone(s.sqlSkipped) }

// schemaTable returns the scenario table t declares.
func schemaTable(t ddl.Table) Table {
	out := Table{Name: t.Name, Locality: t.Locality, HomeRegion: t.HomeRegion}
	if t.Locality != placement.LocalityRegionalByRow {
		return out
	}
	out.CityRegions = maps.Clone(t.CityRegions)
	out.DefaultRegion = t.DefaultRegion
	switch {
	case t.RegionInKey:
		out.PrimaryKey = PrimaryKeyRegionInKey
	case t.RandomUUIDKey:
		out.PrimaryKey = PrimaryKeyRandomUUID
	}
	return out
}

// applySQL replaces s.SQL by the database and tables of its DDL file
// (relative to dir). root is the scenario file's mapping node, to tell a
// `database:` section that is present from one left to its defaults.
func (s *Scenario) applySQL(root *yaml.Node, dir string) error {
	path := s.SQL
	if dir != "" && !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "database" {
			return &Error{Source: s.source, Field: "database",
				Err: fmt.Errorf("line %d: the database comes from sql: %s; remove the database: section (or use --survival)", root.Content[i].Line, s.SQL)}
		}
	}
	schema, err := readSchema(path, s.source, "sql")
	if err != nil {
		return err
	}
	s.sqlSkipped = skipped(schema)
	given := s.Tables
	s.Database = schema.Database
	s.Tables = make([]Table, len(schema.Tables))
	declared := make([]string, len(schema.Tables))
	for i, t := range schema.Tables {
		s.Tables[i] = schemaTable(t)
		declared[i] = t.Name
	}
	for i, g := range given {
		f := func(name string) string { return fmt.Sprintf("tables[%d].%s", i, name) }
		j := slices.Index(declared, g.Name)
		if j < 0 {
			return &Error{Source: s.source, Field: f("name"),
				Err: fmt.Errorf("%q is not a table of sql: %s (tables %v)", g.Name, s.SQL, declared)}
		}
		for _, p := range []struct {
			name string
			set  bool
		}{
			{"locality", g.Locality != ""},
			{"home_region", g.HomeRegion != ""},
			{"city_regions", g.CityRegions != nil},
			{"default_region", g.DefaultRegion != ""},
		} {
			if p.set {
				return &Error{Source: s.source, Field: f(p.name),
					Err: fmt.Errorf("table %q's placement comes from sql: %s; remove %s", g.Name, s.SQL, p.name)}
			}
		}
		t := &s.Tables[j]
		g.Locality, g.HomeRegion, g.CityRegions, g.DefaultRegion = t.Locality, t.HomeRegion, t.CityRegions, t.DefaultRegion
		if g.PrimaryKey == "" {
			g.PrimaryKey = t.PrimaryKey
		}
		*t = g
	}
	s.SQL = ""
	return nil
}

// loadSQL returns the unvalidated scenario of a bare DDL file: its database
// and tables on a default scenario with no workload, whose topology spans
// the database's regions with the first RTT preset that holds them all
// (the default preset first). A bare file has no rows per city, so a
// REGIONAL BY ROW table's computed-column mapping is dropped and its rows
// are spread evenly over the regions (RowShares; placement does not depend
// on it): a scenario file with `sql:` and the table's `cities:` keeps it.
// A scenario without workload can show its placement (`regionsim
// topology`) but not run.
func loadSQL(path string) (*Scenario, error) {
	schema, err := readSchema(path, "", "")
	if err != nil {
		return nil, err
	}
	s := DefaultScenario()
	s.source = path
	s.sqlSkipped = skipped(schema)
	s.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	s.Database = schema.Database
	for _, t := range schema.Tables {
		st := schemaTable(t)
		// No rows per city without a scenario file: rows are spread evenly
		// over the regions (placement does not depend on it).
		st.CityRegions, st.DefaultRegion = nil, ""
		s.Tables = append(s.Tables, st)
	}
	if regions := s.Database.Regions; len(regions) > 0 {
		s.Topology.Regions = slices.Clone(regions)
		rtt, err := presetFor(regions)
		if err != nil {
			return nil, &Error{Source: path, Err: err}
		}
		s.Topology.RTT = rtt
	}
	s.ApplyDefaults()
	return s, nil
}

// presetFor returns the default RTT preset if it holds every region, else
// the first preset by name that does.
func presetFor(regions []string) (string, error) {
	names := append([]string{topology.DefaultConfig().RTT}, topology.PresetNames()...)
	for _, name := range names {
		m, err := topology.LoadPreset(name)
		if err != nil {
			return "", err
		}
		if !slices.ContainsFunc(regions, func(r string) bool { return m.Index(r) < 0 }) {
			return name, nil
		}
	}
	return "", fmt.Errorf("no RTT preset holds the database regions %v (presets %s); write a scenario YAML with sql: and topology.rtt: a CSV file",
		regions, strings.Join(topology.PresetNames(), ", "))
}
