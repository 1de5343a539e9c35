// Package schematest validates documents against the committed JSON
// Schemas under docs/schema, for tests: the CLI's JSON output against
// output.schema.json, scenario files (YAML or JSON) against
// scenario.schema.json.
//
// It is the only importer of github.com/santhosh-tekuri/jsonschema/v6, a
// test-only dependency: only tests import this package, so no binary links
// the validator. A maintained, spec-tested validator is worth more here
// than one of our own, whose bugs would agree with our schemas'.
package schematest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// Dir returns docs/schema of the module that holds the working directory
// (found by walking up to go.mod).
func Dir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "docs", "schema")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("schematest: no go.mod above the working directory")
		}
		dir = parent
	}
}

var (
	mu       sync.Mutex
	compiled = map[string]*jsonschema.Schema{}
)

// load compiles docs/schema/name once per process.
func load(t testing.TB, name string) *jsonschema.Schema {
	t.Helper()
	path := filepath.Join(Dir(t), name)
	mu.Lock()
	defer mu.Unlock()
	if s, ok := compiled[path]; ok {
		return s
	}
	s, err := jsonschema.NewCompiler().Compile(path)
	if err != nil {
		t.Fatalf("schematest: compiling %s: %v", path, err)
	}
	compiled[path] = s
	return s
}

// Output is the compiled output.schema.json.
func Output(t testing.TB) *jsonschema.Schema { return load(t, "output.schema.json") }

// Scenario is the compiled scenario.schema.json.
func Scenario(t testing.TB) *jsonschema.Schema { return load(t, "scenario.schema.json") }

// ValidateJSON validates the JSON document data against s.
func ValidateJSON(s *jsonschema.Schema, data []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return s.Validate(v)
}

// ValidateYAML validates the YAML document data against s, as an editor's
// YAML language server does: the document's JSON value (YAML 1.2 types:
// durations and quoted versions are strings, numbers numbers).
func ValidateYAML(s *jsonschema.Schema, data []byte) error {
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("not YAML: %w", err)
	}
	j, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("YAML without a JSON value: %w", err)
	}
	return ValidateJSON(s, j)
}
