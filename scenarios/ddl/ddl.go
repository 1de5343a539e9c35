package ddl

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/regionsim/regionsim/raft/placement"
)

// ErrUnsupported is wrapped by the error of a statement that may change
// placement but is not modelled (ALTER TABLE … RENAME, DROP REGION, …).
var ErrUnsupported = errors.New("unsupported statement")

// Error is a bad-input error at one statement: the source, the statement's
// first line and text, and the cause.
type Error struct {
	// Source names the input (a file path); may be empty.
	Source string
	// Line is the 1-based line the statement starts on.
	Line int
	// Statement is the statement's text, whitespace collapsed and cut to
	// 80 characters; empty for a lexical error.
	Statement string
	// Err is the cause (ErrUnsupported for an unsupported statement).
	Err error
}

// Error renders "SOURCE:LINE: `STATEMENT`: CAUSE".
func (e *Error) Error() string {
	var b strings.Builder
	if e.Source != "" {
		b.WriteString(e.Source + ":")
	}
	fmt.Fprintf(&b, "%d: ", e.Line)
	if e.Statement != "" {
		b.WriteString("`" + e.Statement + "`: ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// IgnoredKinds are the statements Parse skips because they cannot change
// where replicas are placed: data (INSERT, UPSERT, UPDATE, DELETE, SELECT),
// inspection (SHOW, EXPLAIN), session settings (SET, USE) and secondary
// indexes (CREATE INDEX: an index of a REGIONAL BY ROW table is
// partitioned like its primary index; the model has no indexes). Every
// other statement either changes the Schema or is an error.
var IgnoredKinds = []string{"INSERT", "UPSERT", "UPDATE", "DELETE", "SELECT", "SHOW", "EXPLAIN", "SET", "USE", "CREATE INDEX"}

// Ignored is one statement Parse skipped: its kind (one of IgnoredKinds)
// and its first line.
type Ignored struct {
	// Kind is one of IgnoredKinds.
	Kind string
	// Line is the 1-based line the statement starts on.
	Line int
}

// Schema is the placement the DDL declares.
type Schema struct {
	// DatabaseName is the name the statements gave the database; empty if
	// no statement named one.
	DatabaseName string
	// Database is the multi-region configuration (empty Primary: not
	// multi-region). Survival and Placement are always set.
	Database placement.Database
	// Tables are the tables in the order they were created.
	Tables []Table
	// Ignored are the statements skipped (see IgnoredKinds), in order.
	Ignored []Ignored
}

// Table is one table's placement as declared.
type Table struct {
	// Name is the table's name (the last part of a qualified name).
	Name string
	// Locality is the table's locality; Parse resolves an unset one to
	// regional-by-table in a multi-region database, none otherwise.
	Locality placement.Locality
	// HomeRegion is the region of REGIONAL BY TABLE IN "r"; empty means
	// the primary region.
	HomeRegion string
	// RegionColumn is the region column of a REGIONAL BY ROW table
	// (crdb_region unless AS names another).
	RegionColumn string
	// CityColumn is the column a computed region column's CASE tests
	// (empty if the region column is not computed).
	CityColumn string
	// CityRegions maps each value of CityColumn named by a WHEN branch to
	// its region.
	CityRegions map[string]string
	// DefaultRegion is the ELSE branch's region; empty without ELSE.
	DefaultRegion string
	// RandomUUIDKey reports whether the primary key is one UUID column
	// filled by DEFAULT gen_random_uuid() (exempt from uniqueness checks).
	RandomUUIDKey bool
	// RegionInKey reports whether the primary key includes the region
	// column.
	RegionInKey bool

	// columns are the table's columns by name.
	columns map[string]*column
	// pk are the primary key's columns.
	pk []string
}

// column is what Parse keeps of a column definition.
type column struct {
	typ        string
	randomUUID bool
	// computed: a CASE mapping (cityCol non-empty) of a crdb_internal_region column.
	cityCol     string
	cityRegions map[string]string
	elseRegion  string
}

// Parse reads src, a sequence of DDL statements, into a Schema. source
// names the input in errors. Errors are *Error; an unsupported statement's
// wraps ErrUnsupported. O(len(src)).
func Parse(src []byte, source string) (*Schema, error) {
	stmts, err := split(string(src))
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Source = source
		}
		return nil, err
	}
	p := &parser{s: &Schema{Database: placement.Database{Survival: placement.SurvivalZone, Placement: placement.PlacementDefault}}}
	for _, st := range stmts {
		p.toks, p.pos = st.toks, 0
		if err := p.statement(); err != nil {
			return nil, &Error{Source: source, Line: st.line, Statement: shorten(st.text), Err: err}
		}
		if p.ignored != "" {
			p.s.Ignored = append(p.s.Ignored, Ignored{Kind: p.ignored, Line: st.line})
			p.ignored = ""
		}
	}
	multi := p.s.Database.MultiRegion()
	for i := range p.s.Tables {
		t := &p.s.Tables[i]
		if t.Locality == "" {
			t.Locality = placement.LocalityNone
			if multi {
				t.Locality = placement.LocalityRegionalByTable
			}
		}
		if t.Locality == placement.LocalityRegionalByRow {
			if c := t.columns[t.RegionColumn]; c != nil && c.cityCol != "" {
				t.CityColumn, t.CityRegions, t.DefaultRegion = c.cityCol, c.cityRegions, c.elseRegion
			}
			t.RegionInKey = slices.Contains(t.pk, t.RegionColumn)
		}
		if len(t.pk) == 1 {
			if c := t.columns[t.pk[0]]; c != nil && c.randomUUID && c.typ == "uuid" {
				t.RandomUUIDKey = true
			}
		}
	}
	return p.s, nil
}

// shorten collapses whitespace in a statement's text and cuts it to 80
// characters.
func shorten(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}
