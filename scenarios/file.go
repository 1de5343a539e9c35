package scenarios

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// This file writes a Scenario back out as a scenario file, so that a
// result can carry the scenario it ran (after flags and defaults) in a form
// Parse and Load read back.

// scenarioFields is Scenario without its methods, for encoding its fields
// by their yaml tags without recursing into MarshalYAML.
type scenarioFields Scenario

// fileNode returns s as the YAML node tree of a scenario file: every field
// under its file name (the yaml tags), durations as Go durations ("1m30s"),
// floats in their shortest decimal form, map keys sorted. It leaves out
// what a file would leave out and what the strict decoder refuses (see
// checkNumbersAndNulls): nil pointers, empty strings, empty lists and
// mappings, and a 0 in a field whose 0 is not a value (zeroInvalid). For a
// validated scenario, what it leaves out has the value it would get by
// default, so Parse reads the file back into an equal scenario.
func (s Scenario) fileNode() (*yaml.Node, error) {
	var n yaml.Node
	if err := n.Encode((*scenarioFields)(&s)); err != nil {
		return nil, fmt.Errorf("scenarios: encoding scenario %q: %w", s.Name, err)
	}
	if err := pruneNode(&n, ""); err != nil {
		return nil, fmt.Errorf("scenarios: encoding scenario %q: %w", s.Name, err)
	}
	return &n, nil
}

// pruneNode removes from the mappings under n (whose field path is path)
// the entries fileNode leaves out, and rewrites floats in the shortest
// decimal form without an exponent where JSON's encoder would use none.
func pruneNode(n *yaml.Node, path string) error {
	switch n.Kind {
	case yaml.MappingNode:
		kept := n.Content[:0]
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i], n.Content[i+1]
			sub := join(path, key.Value)
			if err := pruneNode(val, sub); err != nil {
				return err
			}
			if omitted(val, sub) {
				continue
			}
			kept = append(kept, key, val)
		}
		n.Content = kept
	case yaml.SequenceNode:
		for i, item := range n.Content {
			if err := pruneNode(item, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case yaml.ScalarNode:
		if n.ShortTag() == "!!float" {
			v, err := strconv.ParseFloat(n.Value, 64)
			if err != nil {
				return fmt.Errorf("%s: %s is not a finite number", path, n.Value)
			}
			b, err := json.Marshal(v)
			if err != nil {
				return fmt.Errorf("%s: %s is not a finite number", path, n.Value)
			}
			n.Value = string(b)
		}
	}
	return nil
}

// omitted reports whether the pruned value n of the field at path is left
// out of a scenario file.
func omitted(n *yaml.Node, path string) bool {
	switch n.Kind {
	case yaml.MappingNode, yaml.SequenceNode:
		return len(n.Content) == 0
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return true
		case "!!str":
			return n.Value == ""
		case "!!int":
			return n.Value == "0" && zeroInvalid[pattern(path)]
		}
	}
	return false
}

// MarshalYAML returns s as a scenario file (see fileNode): yaml.Marshal of
// a Scenario writes a file that Parse reads back into an equal scenario.
func (s Scenario) MarshalYAML() (any, error) { return s.fileNode() }

// YAML returns s as a YAML scenario file (MarshalYAML), indented by two
// spaces.
func (s Scenario) YAML() ([]byte, error) {
	n, err := s.fileNode()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, fmt.Errorf("scenarios: encoding scenario %q: %w", s.Name, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("scenarios: encoding scenario %q: %w", s.Name, err)
	}
	return b.Bytes(), nil
}

// MarshalJSON returns s as a scenario file in JSON: the fields, names and
// spellings of MarshalYAML, in the same order. JSON is YAML, so Parse and
// Load read it back into an equal scenario (a relative CSV path in
// topology.rtt is kept as it is, relative to the working directory).
func (s Scenario) MarshalJSON() ([]byte, error) {
	n, err := s.fileNode()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := nodeJSON(&b, n); err != nil {
		return nil, fmt.Errorf("scenarios: encoding scenario %q: %w", s.Name, err)
	}
	return b.Bytes(), nil
}

// UnmarshalJSON parses data as a scenario file (Parse: strict, defaults
// filled, validated) into s. Errors wrap ErrInvalid.
func (s *Scenario) UnmarshalJSON(data []byte) error {
	p, err := Parse(data, "")
	if err != nil {
		return err
	}
	*s = *p
	return nil
}

// nodeJSON writes the pruned node tree n as compact JSON: mappings as
// objects in node order, sequences as arrays, scalars by their resolved
// tag.
func nodeJSON(b *bytes.Buffer, n *yaml.Node) error {
	switch n.Kind {
	case yaml.MappingNode:
		b.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			key, _ := json.Marshal(n.Content[i].Value)
			b.Write(key)
			b.WriteByte(':')
			if err := nodeJSON(b, n.Content[i+1]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case yaml.SequenceNode:
		b.WriteByte('[')
		for i, item := range n.Content {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := nodeJSON(b, item); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			v, _ := json.Marshal(n.Value)
			b.Write(v)
		case "!!int", "!!float":
			if !json.Valid([]byte(n.Value)) {
				return fmt.Errorf("number %q", n.Value)
			}
			b.WriteString(n.Value)
		case "!!bool":
			v, err := strconv.ParseBool(n.Value)
			if err != nil {
				return fmt.Errorf("bool %q", n.Value)
			}
			b.WriteString(strconv.FormatBool(v))
		case "!!null":
			b.WriteString("null")
		default:
			return fmt.Errorf("scalar %q tagged %s", n.Value, n.ShortTag())
		}
	default:
		return fmt.Errorf("YAML node kind %v", n.Kind)
	}
	return nil
}
