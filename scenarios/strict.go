package scenarios

import (
	"fmt"
	"math"
	"math/big"
	"reflect"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// checkNumbersAndNulls walks a scenario document against the Scenario type
// before it is decoded and refuses what the decoder would silently bend:
// nulls (a field or list item written as ~ or null), empty lists and maps
// where something must be listed, integer fields given a fraction (2.5 would
// become 2) or a value out of the field's range (2^64 for seed), non-finite
// numbers (.nan, .inf), and an explicit 0 where 0 is not a valid value (0
// ranges would become the default). What the decoder refuses itself (a
// duration without a unit, a negative unsigned number) is left to it. It
// returns the first problem as a field error.
func checkNumbersAndNulls(root *yaml.Node) error {
	return walkNode(root, reflect.TypeFor[Scenario](), "")
}

// emptyListOK lists the lists that may be written empty ([] means none).
var emptyListOK = map[string]bool{
	"faults":              true,
	"workload[].schedule": true,
}

// zeroInvalid lists the integer fields whose explicit 0 is an error (a
// missing field takes its default; 0 is not a value they can have).
var zeroInvalid = map[string]bool{
	"tables[].ranges":                  true,
	"tables[].rows":                    true,
	"tables[].txn_ranges":              true,
	"workload[].profile.steps_per_day": true,
}

var indexRE = regexp.MustCompile(`\[\d+\]`)

// pattern turns "tables[2].ranges" into "tables[].ranges".
func pattern(path string) string { return indexRE.ReplaceAllString(path, "[]") }

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

func walkNode(n *yaml.Node, t reflect.Type, path string) error {
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nodeErr(n, path, "null (give a value, or leave the field out)")
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[time.Duration]() {
		return nil // the decoder refuses durations without a unit
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return nil // the decoder reports the type mismatch
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i].Value, n.Content[i+1]
			f, ok := fieldByTag(t, key)
			if !ok {
				continue // the decoder reports unknown fields
			}
			if err := walkNode(val, f.Type, join(path, key)); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return nil
		}
		if len(n.Content) == 0 && !emptyListOK[pattern(path)] {
			return nodeErr(n, path, "empty list (list at least one, or leave the field out)")
		}
		for i, item := range n.Content {
			if err := walkNode(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return nil
		}
		if len(n.Content) == 0 {
			return nodeErr(n, path, "empty mapping (give at least one entry, or leave the field out)")
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if err := walkNode(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value)); err != nil {
				return err
			}
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return checkInteger(n, t, path)
	case reflect.Float32, reflect.Float64:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!float" {
			if v, ok := parseNumber(n.Value); !ok || math.IsInf(v, 0) || math.IsNaN(v) {
				return nodeErr(n, path, "%s is not a finite number", n.Value)
			}
		}
	}
	return nil
}

// checkInteger refuses a fraction, a value outside the range of integer
// type t, and an explicit 0 where zeroInvalid says so. Integers written as
// floats with an integral value (1e9) are accepted.
func checkInteger(n *yaml.Node, t reflect.Type, path string) error {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
		return nil // the decoder reports the type mismatch
	}
	v, ok := new(big.Float).SetPrec(200).SetString(strings.ReplaceAll(n.Value, "_", ""))
	if !ok {
		if n.Tag == "!!int" {
			// Hex, octal and binary literals.
			iv, ok := new(big.Int).SetString(strings.ReplaceAll(n.Value, "_", ""), 0)
			if !ok {
				return nil
			}
			v = new(big.Float).SetInt(iv)
		} else {
			return nodeErr(n, path, "%s is not an integer", n.Value)
		}
	}
	if !v.IsInt() {
		return nodeErr(n, path, "%s is not an integer", n.Value)
	}
	lo, hi := new(big.Float), new(big.Float)
	switch t.Kind() {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if v.Sign() < 0 {
			return nil // the decoder refuses it
		}
		hi.SetUint64(math.MaxUint64 >> (64 - t.Bits()))
	default:
		lo.SetInt64(math.MinInt64 >> (64 - t.Bits()))
		hi.SetInt64(math.MaxInt64 >> (64 - t.Bits()))
	}
	if v.Cmp(lo) < 0 || v.Cmp(hi) > 0 {
		return nodeErr(n, path, "%s is out of range [%s, %s]", n.Value, lo.Text('f', 0), hi.Text('f', 0))
	}
	if v.Sign() == 0 && zeroInvalid[pattern(path)] {
		return nodeErr(n, path, "0 is not allowed (leave the field out for the default)")
	}
	return nil
}

// parseNumber parses a YAML float (.inf, .nan included).
func parseNumber(s string) (float64, bool) {
	switch strings.ToLower(strings.TrimLeft(s, "+")) {
	case ".inf":
		return math.Inf(1), true
	case "-.inf":
		return math.Inf(-1), true
	case ".nan":
		return math.NaN(), true
	}
	f, ok := new(big.Float).SetString(strings.ReplaceAll(s, "_", ""))
	if !ok {
		return 0, false
	}
	v, _ := f.Float64()
	return v, true
}

// fieldByTag returns the field of struct type t whose yaml tag names key,
// looking into inline (embedded) structs.
func fieldByTag(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(opts, "inline") {
			if inner, ok := fieldByTag(f.Type, key); ok {
				return inner, true
			}
			continue
		}
		if name == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// nodeErr is a field error that gives the node's line.
func nodeErr(n *yaml.Node, path, format string, args ...any) error {
	return fieldErr(path, "line %d: "+format, append([]any{n.Line}, args...)...)
}
