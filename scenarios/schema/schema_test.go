package schema

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the committed schemas under docs/schema (make schema)")

// root is the module's directory, relative to this package's.
const root = "../.."

// schemas returns the generated schemas by file name.
func schemas(t *testing.T) map[string][]byte {
	t.Helper()
	docs, err := ReadDocs(root, Module, Packages...)
	require.NoError(t, err)
	out := map[string][]byte{}
	for name, gen := range map[string]func(Docs) (*Schema, error){ScenarioFile: ScenarioSchema, OutputFile: OutputSchema} {
		s, err := gen(docs)
		require.NoError(t, err, name)
		b, err := Encode(s)
		require.NoError(t, err, name)
		out[name] = b
	}
	return out
}

// TestCommittedSchemasAreCurrent fails while docs/schema differs from what
// the Go types give; `make schema` (this test with -update) rewrites it.
func TestCommittedSchemasAreCurrent(t *testing.T) {
	for name, got := range schemas(t) {
		path := filepath.Join(root, "docs", "schema", name)
		if *update {
			require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
			require.NoError(t, os.WriteFile(path, got, 0o644))
			continue
		}
		want, err := os.ReadFile(path)
		require.NoError(t, err, "run make schema to create it")
		if string(want) != string(got) {
			t.Errorf("%s is stale (the Go types changed): run make schema and review the diff; first difference:\n%s",
				path, firstDiff(string(want), string(got)))
		}
	}
}

// TestEveryPropertyIsDescribed: a field without a doc comment (or a
// glossary entry) fails here; document it in its Go type and run make
// schema.
func TestEveryPropertyIsDescribed(t *testing.T) {
	docs, err := ReadDocs(root, Module, Packages...)
	require.NoError(t, err)
	for name, gen := range map[string]func(Docs) (*Schema, error){ScenarioFile: ScenarioSchema, OutputFile: OutputSchema} {
		s, err := gen(docs)
		require.NoError(t, err)
		defs := map[string]*Schema{"(root)": s}
		for k, d := range s.Defs {
			defs[k] = d
		}
		for dn, d := range defs {
			for _, p := range d.Properties {
				assert.NotEmpty(t, p.Schema.Description, "%s: %s.%s has no description: give its Go field a doc comment", name, dn, p.Name)
			}
		}
	}
}

// firstDiff returns the first line that differs between want and got, with
// its number, as a short message (the files are long).
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(w), len(g)) {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d\n  committed: %s\n  generated: %s", i+1, a, b)
		}
	}
	return ""
}
