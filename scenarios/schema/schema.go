package schema

import (
	"bytes"
	"encoding/json"
)

// Draft is the JSON Schema dialect of the generated schemas.
const Draft = "https://json-schema.org/draft/2020-12/schema"

// Schema is one JSON Schema (2020-12) node, with the keywords the
// generator uses, in the order they are written.
type Schema struct {
	Schema      string `json:"$schema,omitempty"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	Ref         string `json:"$ref,omitempty"`
	Type        string `json:"type,omitempty"`
	Const       any    `json:"const,omitempty"`
	Enum        []any  `json:"enum,omitempty"`
	Pattern     string `json:"pattern,omitempty"`
	// Minimum and Maximum bound a number (inclusive); ExclusiveMaximum
	// bounds it from above, exclusive.
	Minimum          *float64 `json:"minimum,omitempty"`
	Maximum          *float64 `json:"maximum,omitempty"`
	ExclusiveMaximum *float64 `json:"exclusiveMaximum,omitempty"`
	Examples         []any    `json:"examples,omitempty"`
	Items            *Schema  `json:"items,omitempty"`
	Properties       Props    `json:"properties,omitempty"`
	Required         []string `json:"required,omitempty"`
	PropertyNames    *Schema  `json:"propertyNames,omitempty"`
	// AdditionalProperties is false (no other properties) or a *Schema
	// (a map's values); nil leaves it out.
	AdditionalProperties any                `json:"additionalProperties,omitempty"`
	OneOf                []*Schema          `json:"oneOf,omitempty"`
	Defs                 map[string]*Schema `json:"$defs,omitempty"`
}

// Prop is one property of an object schema.
type Prop struct {
	Name   string
	Schema *Schema
}

// Props are an object's properties in the order of the Go type's fields;
// they encode as a JSON object in that order.
type Props []Prop

// MarshalJSON writes the properties as one object, in order.
func (ps Props) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := encodeTo(&b, p.Name); err != nil {
			return nil, err
		}
		b.WriteByte(':')
		if err := encodeTo(&b, p.Schema); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// encodeTo appends v as compact JSON, HTML characters unescaped.
func encodeTo(b *bytes.Buffer, v any) error {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Truncate(b.Len() - 1) // the encoder's newline
	return nil
}

// Encode returns s as indented JSON (two spaces) with a trailing newline,
// HTML characters unescaped: the committed file's bytes.
func Encode(s *Schema) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func ptr(v float64) *float64 { return &v }
