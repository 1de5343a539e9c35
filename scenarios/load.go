package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/regionsim/regionsim/topology"
)

// ErrInvalid is wrapped by every error of Parse, Load, Validate, Override
// and WithSurvival: the scenario (or the name or file given for it) is bad
// input, as opposed to an internal failure. The CLI exits 2 on it.
var ErrInvalid = errors.New("invalid scenario")

// Error is a bad-input error: the source, the field path and what is wrong
// with the value. errors.Is(err, ErrInvalid) holds for every *Error, and it
// unwraps to its cause (e.g. placement.ErrTooFewRegions).
type Error struct {
	// Source is the scenario file path or built-in name; empty for a
	// scenario built in memory.
	Source string
	// Field is the path of the offending field ("workload[0].mix.reed"),
	// empty when Err's message names it or the problem is not one field's.
	Field string
	// Err is the cause.
	Err error
}

// Error renders "scenarios: SOURCE: FIELD: CAUSE", leaving out an empty
// source or field.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("scenarios: ")
	if e.Source != "" {
		b.WriteString(e.Source + ": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is ErrInvalid.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// Parse decodes a scenario file strictly (unknown fields, several YAML
// documents and empty input are errors; yaml's line numbers are kept) on
// top of DefaultScenario, applies ApplyDefaults and validates it. source
// names the input in errors and gives the default Name (its base name
// without extension). Every error wraps ErrInvalid.
func Parse(data []byte, source string) (*Scenario, error) {
	return parse(data, source, "")
}

// ParseUnvalidated is Parse without the final Validate, as LoadUnvalidated
// is Load without it: for a scenario read from elsewhere than a file (the
// CLI's standard input) that overrides apply to before it is checked.
// Relative CSV paths of topology.rtt are taken relative to the working
// directory. Every error wraps ErrInvalid.
func ParseUnvalidated(data []byte, source string) (*Scenario, error) {
	return decode(data, source, "")
}

// parse is Parse with dir, the directory relative CSV paths of
// topology.rtt are resolved against ("" for the working directory).
func parse(data []byte, source, dir string) (*Scenario, error) {
	s, err := decode(data, source, dir)
	if err != nil {
		return nil, err
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// decode is parse without the final Validate: the file's structure and
// field names are checked and the defaults applied, its values are not.
func decode(data []byte, source, dir string) (s *Scenario, err error) {
	fail := func(format string, args ...any) error {
		return &Error{Source: source, Err: fmt.Errorf(format, args...)}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fail("empty input (want a YAML mapping of scenario fields)")
	}
	// First pass: the document structure (how many, and a mapping).
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fail("empty input (want a YAML mapping of scenario fields)")
		}
		return nil, fail("%s", yamlMessage(err))
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, fail("%s", yamlMessage(err))
	default:
		return nil, fail("line %d: a second YAML document (want exactly one)", extra.Line)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, fail("empty document (want a YAML mapping of scenario fields)")
	}
	if root.Kind != yaml.MappingNode {
		return nil, fail("line %d: a %s (want a YAML mapping of scenario fields)", root.Line, nodeKind(root))
	}
	if err := checkNumbersAndNulls(root); err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Source = source
		}
		return nil, err
	}
	// Second pass: strict decoding on top of the defaults.
	s = DefaultScenario()
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	if err := strict.Decode(s); err != nil {
		return nil, fail("%s", yamlMessage(err))
	}
	s.source = source
	if s.SQL != "" {
		if err := s.applySQL(root, dir); err != nil {
			return nil, err
		}
	}
	if s.Name == "" && source != "" {
		base := filepath.Base(source)
		s.Name = strings.TrimSuffix(base, filepath.Ext(base))
	}
	if dir != "" && s.Topology.RTT != "" && !slices.Contains(topology.PresetNames(), s.Topology.RTT) &&
		!filepath.IsAbs(s.Topology.RTT) {
		s.Topology.RTT = filepath.Join(dir, s.Topology.RTT)
	}
	s.ApplyDefaults()
	return s, nil
}

// yamlMessage turns a yaml error into one line without the "yaml: "
// prefix, keeping the line numbers.
func yamlMessage(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return strings.Join(te.Errors, "; ")
	}
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "scalar " + n.Tag
	case yaml.AliasNode:
		return "alias"
	}
	return "node"
}

// Load returns the built-in scenario named nameOrPath (see Builtins), or
// else the scenario in the file at that path (Parse; a relative CSV path in
// its topology.rtt and its sql: file are taken relative to the file's
// directory). A path ending in .sql is a file of multi-region DDL: its
// database and tables, no workload (see IsSQLPath). If it is
// neither, the error lists the built-ins. Every error wraps ErrInvalid.
func Load(nameOrPath string) (*Scenario, error) {
	s, err := LoadUnvalidated(nameOrPath)
	if err != nil {
		return nil, err
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// LoadUnvalidated is Load without the final Validate: the scenario is
// decoded strictly (unknown fields, YAML errors) and its defaults are
// applied, but its values are not checked, so that overrides apply first:
// a --duration long enough for the scenario's faults, or an --rtt whose
// regions the scenario's are mapped to. Call Override or Validate before
// using it (its Cluster is nil until then). Every error wraps ErrInvalid.
func LoadUnvalidated(nameOrPath string) (*Scenario, error) {
	if data, ok := builtinData(nameOrPath); ok {
		return decode(data, nameOrPath, "")
	}
	if IsSQLPath(nameOrPath) {
		return loadSQL(nameOrPath)
	}
	data, err := os.ReadFile(nameOrPath)
	if err != nil {
		return nil, &Error{Err: fmt.Errorf("%q is neither a built-in scenario (%s) nor a readable file: %w",
			nameOrPath, strings.Join(BuiltinNames(), ", "), err)}
	}
	return decode(data, nameOrPath, filepath.Dir(nameOrPath))
}
