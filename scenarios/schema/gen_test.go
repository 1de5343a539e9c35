package schema

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type toyHeader struct {
	Version int `json:"version"`
}

type toyInner struct {
	Value float64 `json:"value_ms"`
}

type toyDoc struct {
	toyHeader
	Name    string             `json:"name"`
	Note    string             `json:"note,omitempty"`
	Skipped int                `json:"-"`
	Inner   *toyInner          `json:"inner"`
	List    []toyInner         `json:"list"`
	Shares  map[string]float64 `json:"shares"`
	hidden  int
}

type toyFile struct {
	Wait  time.Duration  `yaml:"wait"`
	Maybe *time.Duration `yaml:"maybe"`
	Count int            `yaml:"count"`
	Names []string       `yaml:"names,omitempty"`
}

type toyClash struct {
	toyHeader
	Version string `json:"version"`
}

func encode(t *testing.T, s *Schema) map[string]any {
	t.Helper()
	b, err := Encode(s)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

// TestGeneratorFollowsTags: json tags with encoding/json's rules (embedded
// structs inlined, "-" and unexported fields out, omitempty not required),
// yaml tags with yaml.v3's (durations as strings); field order kept;
// docs and units in descriptions.
func TestGeneratorFollowsTags(t *testing.T) {
	g := newGenerator(Docs{goName(reflectType[toyDoc]()) + ".Name": "Name names it."})
	ref := g.schemaOf(reflectType[toyDoc](), jsonTags)
	require.NoError(t, g.err)
	assert.Equal(t, "#/$defs/schema.toyDoc", ref.Ref)
	doc := g.defs["schema.toyDoc"]
	var names []string
	for _, p := range doc.Properties {
		names = append(names, p.Name)
	}
	assert.Equal(t, []string{"version", "name", "note", "inner", "list", "shares"}, names)
	assert.Equal(t, []string{"version", "name", "inner", "list", "shares"}, doc.Required)
	assert.Equal(t, false, doc.AdditionalProperties)
	m := encode(t, doc)
	props := m["properties"].(map[string]any)
	assert.Equal(t, "`name` names it.", props["name"].(map[string]any)["description"])
	// A pointer may be null.
	assert.Equal(t, []any{map[string]any{"$ref": "#/$defs/schema.toyInner"}, map[string]any{"type": "null"}},
		props["inner"].(map[string]any)["oneOf"])
	assert.Equal(t, map[string]any{"type": "number"}, props["shares"].(map[string]any)["additionalProperties"])
	inner := encode(t, g.defs["schema.toyInner"])
	assert.Equal(t, "In milliseconds.", inner["properties"].(map[string]any)["value_ms"].(map[string]any)["description"])

	g = newGenerator(Docs{})
	g.schemaOf(reflectType[toyFile](), yamlTags)
	require.NoError(t, g.err)
	file := encode(t, g.defs["schema.toyFile"])
	fp := file["properties"].(map[string]any)
	for _, k := range []string{"wait", "maybe"} {
		assert.Equal(t, "string", fp[k].(map[string]any)["type"], k)
		assert.Equal(t, DurationPattern, fp[k].(map[string]any)["pattern"], k)
	}
	assert.NotContains(t, file, "required", "yaml objects require only what the rules say")

	g = newGenerator(Docs{})
	g.schemaOf(reflectType[toyClash](), jsonTags)
	assert.ErrorContains(t, g.err, `two fields named "version"`)

	g = newGenerator(Docs{})
	g.annotations["nowhere.Type.field"] = Annotation{Minimum: ptr(1)}
	g.schemaOf(reflectType[toyFile](), yamlTags)
	assert.ErrorContains(t, g.unused(), "nowhere.Type.field", "a stale annotation is an error")
}

func reflectType[T any]() reflect.Type { return reflect.TypeFor[T]() }
