package scenarios

import (
	"embed"
	"io/fs"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed builtin/*.yaml
var builtinFS embed.FS

// BuiltinInfo describes a built-in scenario.
type BuiltinInfo struct {
	// Name is what Load and the CLI accept.
	Name string
	// Description is the scenario's one-line description.
	Description string
}

// BuiltinNames returns the names of the built-in scenarios, sorted.
func BuiltinNames() []string {
	entries, err := fs.Glob(builtinFS, "builtin/*.yaml")
	if err != nil {
		panic(err) // the pattern is constant and valid
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = strings.TrimSuffix(strings.TrimPrefix(e, "builtin/"), ".yaml")
	}
	slices.Sort(names)
	return names
}

// Builtins describes the built-in scenarios, sorted by name. It reads only
// their descriptions; Load parses and validates one.
func Builtins() []BuiltinInfo {
	var out []BuiltinInfo
	for _, name := range BuiltinNames() {
		data, _ := builtinData(name)
		var head struct {
			Description string `yaml:"description"`
		}
		_ = yaml.Unmarshal(data, &head) // a broken built-in fails its test and Load
		out = append(out, BuiltinInfo{Name: name, Description: head.Description})
	}
	return out
}

// builtinData returns the YAML of the built-in scenario name.
func builtinData(name string) ([]byte, bool) {
	if name == "" || strings.ContainsAny(name, `/\.`) {
		return nil, false
	}
	data, err := builtinFS.ReadFile("builtin/" + name + ".yaml")
	return data, err == nil
}
