package schema_test

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/scenarios/schema/schematest"
)

// root is the module's directory, relative to this package's.
const root = "../.."

// TestBuiltinsMatchScenarioSchema: every built-in scenario file, and every
// built-in resolved and written out as JSON (what resolved_scenario and
// scenario.yaml hold), is a valid scenario by the schema.
func TestBuiltinsMatchScenarioSchema(t *testing.T) {
	s := schematest.Scenario(t)
	files, err := filepath.Glob(filepath.Join(root, "scenarios", "builtin", "*.yaml"))
	require.NoError(t, err)
	require.Len(t, files, len(scenarios.BuiltinNames()))
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		assert.NoError(t, schematest.ValidateYAML(s, data), f)
	}
	for _, name := range scenarios.BuiltinNames() {
		sc, err := scenarios.Load(name)
		require.NoError(t, err)
		js, err := json.Marshal(sc.Resolved())
		require.NoError(t, err)
		assert.NoError(t, schematest.ValidateJSON(s, js), "%s resolved", name)
		y, err := sc.Resolved().YAML()
		require.NoError(t, err)
		assert.NoError(t, schematest.ValidateYAML(s, y), "%s resolved, YAML", name)
	}
}

// TestTestdataScenarios: every YAML file under a testdata directory of the
// module that regionsim loads is valid by the schema, and every file under
// testdata/invalid (this package's) is rejected by regionsim and by the
// schema, with the error its "# want: " line gives.
func TestTestdataScenarios(t *testing.T) {
	s := schematest.Scenario(t)
	var loaded, invalid int
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "out" || d.Name() == "bin") {
			return filepath.SkipDir
		}
		ext := filepath.Ext(path)
		if d.IsDir() || (ext != ".yaml" && ext != ".yml") ||
			!slices.Contains(strings.Split(filepath.ToSlash(path), "/"), "testdata") {
			return nil
		}
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		_, loadErr := scenarios.Load(path)
		if strings.Contains(filepath.ToSlash(path), "/testdata/invalid/") {
			invalid++
			assert.Error(t, loadErr, "%s: regionsim refuses it", path)
			_, want, ok := strings.Cut(string(data), "\n# want: ")
			require.True(t, ok, "%s: a '# want: ' line gives the schema's error", path)
			want, _, _ = strings.Cut(want, "\n")
			assert.ErrorContains(t, schematest.ValidateYAML(s, data), want, "%s: the schema refuses it", path)
			return nil
		}
		if loadErr != nil {
			return nil // not a scenario file
		}
		loaded++
		assert.NoError(t, schematest.ValidateYAML(s, data), path)
		return nil
	})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, loaded, 3, "the valid testdata scenarios")
	assert.GreaterOrEqual(t, invalid, 10, "the invalid testdata scenarios")
}

// TestGoldenDocumentsMatchOutputSchema: the report package's golden JSON
// documents (hand-built results with a resolved scenario) are valid, and a
// document with a field the schema does not know is not.
func TestGoldenDocumentsMatchOutputSchema(t *testing.T) {
	s := schematest.Output(t)
	for _, name := range []string{"result.json", "comparison.json", "sweep.json"} {
		data, err := os.ReadFile(filepath.Join(root, "scenarios", "report", "testdata", name))
		require.NoError(t, err)
		assert.NoError(t, schematest.ValidateJSON(s, data), name)

		var doc map[string]any
		require.NoError(t, json.Unmarshal(data, &doc))
		doc["not_in_the_schema"] = []any{}
		extra, err := json.Marshal(doc)
		require.NoError(t, err)
		assert.Error(t, schematest.ValidateJSON(s, extra), "%s: a new field needs make schema", name)

		delete(doc, "not_in_the_schema")
		doc["kind"] = "other"
		other, err := json.Marshal(doc)
		require.NoError(t, err)
		assert.Error(t, schematest.ValidateJSON(s, other), "%s: an unknown kind", name)
	}
}
