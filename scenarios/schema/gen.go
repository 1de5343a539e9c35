package schema

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
)

// tagMode says which struct tags name an object's properties.
type tagMode int

const (
	// jsonTags: encoding/json's rules (json tags, omitempty, embedded
	// structs inlined).
	jsonTags tagMode = iota
	// yamlTags: yaml.v3's rules (yaml tags, inline); time.Duration is a
	// Go duration string.
	yamlTags
)

// Annotation adds constraints to one property that its Go type does not
// carry: the values the loader accepts, bounds, examples.
type Annotation struct {
	Enum             []any
	Minimum          *float64
	Maximum          *float64
	ExclusiveMaximum *float64
	Examples         []any
	// PropertyNames constrains a map's keys (enum of names).
	PropertyNames []any
	// Values constrains a map's values (bounds).
	ValuesMinimum, ValuesMaximum *float64
	// Const fixes the value.
	Const any
}

// generator turns Go types into schemas, one definition per named struct
// type.
type generator struct {
	docs Docs
	// defs are the definitions made so far, by name; names maps each Go
	// type to its definition's name.
	defs  map[string]*Schema
	names map[reflect.Type]string
	modes map[reflect.Type]tagMode
	// annotations are keyed by "importpath.Type.field" (the property's
	// name, not the Go field's).
	annotations map[string]Annotation
	// required lists, by "importpath.Type", the required properties of a
	// yamlTags object (jsonTags objects require every property without
	// omitempty).
	required map[string][]string
	// special maps a type that marshals itself to the definition that
	// describes its output (in the mode given).
	special map[reflect.Type]specialType
	err     error
}

// specialType is a type whose own marshal method decides its encoding: it
// is described by the definition of another type in another mode.
type specialType struct {
	as   reflect.Type
	mode tagMode
}

func newGenerator(docs Docs) *generator {
	return &generator{
		docs: docs, defs: map[string]*Schema{}, names: map[reflect.Type]string{}, modes: map[reflect.Type]tagMode{},
		annotations: map[string]Annotation{}, required: map[string][]string{},
		special: map[reflect.Type]specialType{},
	}
}

func (g *generator) fail(format string, args ...any) {
	if g.err == nil {
		g.err = fmt.Errorf("schema: "+format, args...)
	}
}

// goName returns "importpath.Name" of a named type.
func goName(t reflect.Type) string { return t.PkgPath() + "." + t.Name() }

// unqualified are the packages whose types' definitions are named without
// their package: the result and scenario types themselves.
var unqualified = []string{Module + "/scenarios", Module + "/scenarios/report"}

// defName returns the definition name of struct type t: its Go name
// (Scenario, Result) for the types of the unqualified packages, else
// qualified by its package's name (topology.Config, raft.Config).
func (g *generator) defName(t reflect.Type) string {
	if n, ok := g.names[t]; ok {
		return n
	}
	name := t.Name()
	if !slices.Contains(unqualified, t.PkgPath()) {
		name = t.PkgPath()[strings.LastIndex(t.PkgPath(), "/")+1:] + "." + name
	}
	for other, n := range g.names {
		if n == name {
			g.fail("types %s and %s have one definition name %q", goName(other), goName(t), name)
		}
	}
	g.names[t] = name
	return name
}

var (
	durationType  = reflect.TypeFor[time.Duration]()
	marshalerType = reflect.TypeFor[json.Marshaler]()
)

// DurationPattern matches the Go durations time.ParseDuration accepts.
const DurationPattern = `^[-+]?(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$`

// schemaOf returns the schema of a value of type t in mode m: a $ref to
// the definition of a struct type, made on first use.
func (g *generator) schemaOf(t reflect.Type, m tagMode) *Schema {
	if sp, ok := g.special[t]; ok && (sp.as != t || sp.mode != m) {
		return g.schemaOf(sp.as, sp.mode)
	}
	if m == yamlTags && t == durationType {
		return &Schema{Type: "string", Pattern: DurationPattern}
	}
	if t.Kind() == reflect.Pointer {
		if m == jsonTags {
			// encoding/json writes a nil pointer as null.
			return &Schema{OneOf: []*Schema{g.schemaOf(t.Elem(), m), {Type: "null"}}}
		}
		return g.schemaOf(t.Elem(), m)
	}
	if m == jsonTags && t.Implements(marshalerType) && t.Kind() != reflect.Struct {
		g.fail("%s marshals itself: describe it with a special type", t)
	}
	switch t.Kind() {
	case reflect.Bool:
		return &Schema{Type: "boolean"}
	case reflect.String:
		return &Schema{Type: "string"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if m == jsonTags && t == durationType {
			g.fail("a time.Duration in JSON output has no unit: use a float field named _s or _ms")
		}
		return &Schema{Type: "integer"}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return &Schema{Type: "integer", Minimum: ptr(0)}
	case reflect.Float32, reflect.Float64:
		return &Schema{Type: "number"}
	case reflect.Slice, reflect.Array:
		return &Schema{Type: "array", Items: g.schemaOf(t.Elem(), m)}
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			g.fail("map key of %s is not a string", t)
		}
		return &Schema{Type: "object", AdditionalProperties: g.schemaOf(t.Elem(), m)}
	case reflect.Struct:
		if m == jsonTags && (t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType)) {
			g.fail("%s marshals itself: describe it with a special type", goName(t))
		}
		if mode, ok := g.modes[t]; ok && mode != m {
			g.fail("%s is used both as JSON output and as a scenario file field", goName(t))
		}
		g.modes[t] = m
		name := g.defName(t)
		if _, ok := g.defs[name]; !ok {
			g.defs[name] = nil // placeholder: recursive types end here
			g.defs[name] = g.object(t, m)
		}
		return &Schema{Ref: "#/$defs/" + name}
	}
	g.fail("no schema for %s (kind %s)", t, t.Kind())
	return &Schema{}
}

// field is one property of an object: its name, Go field and whether it
// may be left out.
type field struct {
	name      string
	sf        reflect.StructField
	owner     reflect.Type // the struct that declares it (embedded ones inlined)
	omitempty bool
}

// fields returns the properties of struct type t in mode m, embedded
// (jsonTags) or inline (yamlTags) structs' fields in their place.
func (g *generator) fields(t reflect.Type, m tagMode) []field {
	var out []field
	for i := range t.NumField() {
		sf := t.Field(i)
		key := "json"
		if m == yamlTags {
			key = "yaml"
		}
		tag, hasTag := sf.Tag.Lookup(key)
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" && opts == "" {
			continue
		}
		ft := sf.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		inline := m == jsonTags && sf.Anonymous && !hasTag && ft.Kind() == reflect.Struct ||
			m == yamlTags && slices.Contains(strings.Split(opts, ","), "inline")
		if inline {
			out = append(out, g.fields(ft, m)...)
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			if m == yamlTags {
				name = strings.ToLower(sf.Name) // yaml.v3's default
			} else {
				name = sf.Name
			}
		}
		out = append(out, field{name: name, sf: sf, owner: t,
			omitempty: slices.Contains(strings.Split(opts, ","), "omitempty")})
	}
	for i, f := range out {
		for _, o := range out[:i] {
			if o.name == f.name {
				g.fail("%s: two fields named %q (%s.%s and %s.%s)", goName(t), f.name,
					goName(o.owner), o.sf.Name, goName(f.owner), f.sf.Name)
			}
		}
	}
	return out
}

// object returns the schema of struct type t: its properties in field
// order, described by their doc comments, annotated, and nothing else
// allowed.
func (g *generator) object(t reflect.Type, m tagMode) *Schema {
	fields := g.fields(t, m)
	s := &Schema{Type: "object", Description: renamed(g.docs[goName(t)], fields),
		AdditionalProperties: false, Properties: Props{}}
	for _, f := range fields {
		p := g.schemaOf(f.sf.Type, m)
		if p.Ref != "" {
			p = &Schema{Ref: p.Ref} // a copy, to describe in place
		}
		p.Description = renamed(g.describe(f, m), fields)
		g.annotate(p, goName(f.owner)+"."+f.name)
		s.Properties = append(s.Properties, Prop{f.name, p})
		if m == jsonTags && !f.omitempty {
			s.Required = append(s.Required, f.name)
		}
	}
	if m == yamlTags {
		for _, r := range g.required[goName(t)] {
			if !slices.ContainsFunc(s.Properties, func(p Prop) bool { return p.Name == r }) {
				g.fail("%s: required property %q is not a field", goName(t), r)
			}
			s.Required = append(s.Required, r)
		}
	}
	return s
}

// renamed returns text with the Go names of fields replaced by their
// property names in backquotes ("Warmup" → "`warmup`"): the doc comments
// are written for Go, the schema is read by users of the files.
// Names after a "." (pkg.Name), inside square brackets (the [code:…]
// references to CockroachDB's source) and acronyms are left alone.
func renamed(text string, fields []field) string {
	for _, f := range fields {
		if strings.ToUpper(f.sf.Name) == f.sf.Name {
			continue // an acronym (RTT) is also a word of the prose
		}
		re := regexp.MustCompile(`\b` + regexp.QuoteMeta(f.sf.Name) + `\b`)
		var b strings.Builder
		last := 0
		for _, m := range re.FindAllStringIndex(text, -1) {
			before := text[:m[0]]
			if strings.HasSuffix(before, ".") || strings.Count(before, "[") > strings.Count(before, "]") {
				continue
			}
			b.WriteString(text[last:m[0]])
			b.WriteString("`" + f.name + "`")
			last = m[1]
		}
		b.WriteString(text[last:])
		text = b.String()
	}
	return text
}

// glossary describes the identifying properties that recur across the
// output types and that their types' doc comments leave to the name.
var glossary = map[string]string{
	"table":         "The table's name.",
	"locality":      "The table locality: regional-by-table, regional-by-row, global or none.",
	"region":        "A region of the cluster.",
	"op":            "The request type: read, write, stale_read, bounded_read, insert or txn.",
	"client_region": "Where the clients are; their requests count here wherever they are served.",
	"name":          "The name.",
}

// describe returns a property's description: the field's doc comment (or
// the glossary's entry for its name) with the unit spelled out when only
// the name gives it (_ms, _s), and durations' format.
func (g *generator) describe(f field, m tagMode) string {
	text := g.docs[goName(f.owner)+"."+f.sf.Name]
	if text == "" {
		text = glossary[f.name]
	}
	lower := strings.ToLower(text)
	switch {
	case strings.HasSuffix(f.name, "_ms") && !strings.Contains(lower, "millisecond") && !containsWord(lower, "ms"):
		text = join(text, "In milliseconds.")
	case (strings.HasSuffix(f.name, "_s") || strings.HasSuffix(f.name, "_seconds")) && !strings.Contains(lower, "second"):
		text = join(text, "In seconds.")
	}
	base := f.sf.Type
	for base.Kind() == reflect.Pointer || base.Kind() == reflect.Slice {
		base = base.Elem()
	}
	if m == yamlTags && base == durationType {
		text = join(text, "A Go duration: a number and a unit (ns, us, ms, s, m, h), e.g. 1m30s or 250ms.")
	}
	return sentence(text)
}

// sentence capitalises a line comment's first letter and ends it with a
// full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	s = string(r)
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	if !strings.HasSuffix(a, ".") {
		a += "."
	}
	return a + " " + b
}

// containsWord reports whether s has w as a whole word.
func containsWord(s, w string) bool {
	return slices.Contains(strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) }), w)
}

// annotate applies the annotation of the property key to p.
func (g *generator) annotate(p *Schema, key string) {
	a, ok := g.annotations[key]
	if !ok {
		return
	}
	target := p
	if p.Type == "array" && p.Items != nil {
		target = p.Items // constrain the items
	}
	target.Enum, target.Const, target.Examples = a.Enum, a.Const, a.Examples
	target.Minimum, target.Maximum, target.ExclusiveMaximum = a.Minimum, a.Maximum, a.ExclusiveMaximum
	if a.PropertyNames != nil {
		p.PropertyNames = &Schema{Enum: a.PropertyNames}
	}
	if a.ValuesMinimum != nil || a.ValuesMaximum != nil {
		v, ok := p.AdditionalProperties.(*Schema)
		if !ok {
			g.fail("%s: value bounds on a property that is not a map", key)
			return
		}
		c := *v
		c.Minimum, c.Maximum = a.ValuesMinimum, a.ValuesMaximum
		p.AdditionalProperties = &c
	}
	delete(g.annotations, key) // used: see unused
}

// unused returns an error naming the annotations no property used (a
// renamed field or type).
func (g *generator) unused() error {
	if len(g.annotations) == 0 {
		return nil
	}
	var keys []string
	for k := range g.annotations {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return fmt.Errorf("schema: annotations of no property: %s", strings.Join(keys, ", "))
}
