package ddl

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/regionsim/regionsim/raft/placement"
)

// parser steps through the tokens of one statement at a time, updating s.
type parser struct {
	s       *Schema
	toks    []token
	pos     int
	ignored string // set by statement when it skipped an IgnoredKinds statement
}

func unsupported(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnsupported, fmt.Sprintf(format, args...))
}

func (p *parser) peek() token {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return token{kind: tokPunct, text: ""}
}

func (p *parser) done() bool { return p.pos >= len(p.toks) }

// is reports whether the next tokens are the keywords words.
func (p *parser) is(words ...string) bool {
	for i, w := range words {
		if p.pos+i >= len(p.toks) {
			return false
		}
		t := p.toks[p.pos+i]
		if t.kind != tokWord && t.kind != tokPunct || t.text != w {
			return false
		}
	}
	return true
}

// accept consumes words if they come next.
func (p *parser) accept(words ...string) bool {
	if p.is(words...) {
		p.pos += len(words)
		return true
	}
	return false
}

// expect consumes words or fails naming them.
func (p *parser) expect(words ...string) error {
	if !p.accept(words...) {
		return fmt.Errorf("want %s, found %s", strings.ToUpper(strings.Join(words, " ")), p.found())
	}
	return nil
}

func (p *parser) found() string {
	if p.done() {
		return "the end of the statement"
	}
	t := p.peek()
	switch t.kind {
	case tokString:
		return fmt.Sprintf("'%s'", t.text)
	case tokIdent:
		return fmt.Sprintf("%q", t.text)
	case tokWord:
		return t.text
	}
	return fmt.Sprintf("%q", t.text)
}

// end fails unless the statement is consumed.
func (p *parser) end() error {
	if !p.done() {
		return fmt.Errorf("unexpected %s", p.found())
	}
	return nil
}

// name consumes an identifier (possibly qualified: a.b.c) and returns its
// last part.
func (p *parser) name() (string, error) {
	var n string
	for {
		t := p.peek()
		if t.kind != tokWord && t.kind != tokIdent {
			return "", fmt.Errorf("want a name, found %s", p.found())
		}
		n = t.text
		p.pos++
		if !p.accept(".") {
			return n, nil
		}
	}
}

// region consumes a region name: "r", r or 'r'.
func (p *parser) region() (string, error) {
	t := p.peek()
	if t.kind != tokWord && t.kind != tokIdent && t.kind != tokString {
		return "", fmt.Errorf("want a region name, found %s", p.found())
	}
	p.pos++
	return t.text, nil
}

// regionList consumes r [, r]*.
func (p *parser) regionList() ([]string, error) {
	var out []string
	for {
		r, err := p.region()
		if err != nil {
			return nil, err
		}
		out = append(out, r)
		if !p.accept(",") {
			return out, nil
		}
	}
}

// statement parses one statement.
func (p *parser) statement() error {
	switch {
	case p.is("create", "database"):
		p.pos += 2
		return p.createDatabase()
	case p.is("alter", "database"):
		p.pos += 2
		return p.alterDatabase()
	case p.is("create", "table"):
		p.pos += 2
		return p.createTable()
	case p.is("alter", "table"):
		p.pos += 2
		return p.alterTable()
	case p.is("create", "index"), p.is("create", "unique", "index"), p.is("create", "inverted", "index"):
		p.ignored = "CREATE INDEX"
		return nil
	}
	first := strings.ToUpper(p.peek().text)
	if p.peek().kind == tokWord && slices.Contains(IgnoredKinds, first) {
		p.ignored = first
		return nil
	}
	words := first
	if len(p.toks) > 1 && p.toks[1].kind == tokWord {
		words += " " + strings.ToUpper(p.toks[1].text)
	}
	return unsupported("%s (regionsim reads CREATE/ALTER DATABASE and CREATE/ALTER TABLE; it skips only %s)",
		words, strings.Join(IgnoredKinds, ", "))
}

// useDatabase records the database name, refusing a second database.
func (p *parser) useDatabase(name string) error {
	if p.s.DatabaseName != "" && p.s.DatabaseName != name {
		return unsupported("a second database %q (a scenario has one database, %q)", name, p.s.DatabaseName)
	}
	p.s.DatabaseName = name
	return nil
}

// createDatabase parses the rest of CREATE DATABASE [IF NOT EXISTS] name
// [PRIMARY REGION r] [REGIONS r, …] [SURVIVE …] [PLACEMENT …].
func (p *parser) createDatabase() error {
	p.accept("if", "not", "exists")
	name, err := p.name()
	if err != nil {
		return err
	}
	if p.s.DatabaseName != "" {
		return unsupported("a second CREATE DATABASE (a scenario has one database, %q)", p.s.DatabaseName)
	}
	if err := p.useDatabase(name); err != nil {
		return err
	}
	db := &p.s.Database
	var regions []string
	for !p.done() {
		switch {
		case p.accept("primary", "region"):
			p.accept("=")
			r, err := p.region()
			if err != nil {
				return err
			}
			db.Primary = r
		case p.accept("regions"):
			p.accept("=")
			rs, err := p.regionList()
			if err != nil {
				return err
			}
			regions = append(regions, rs...)
		case p.is("survive"), p.is("survival"):
			if err := p.survive(); err != nil {
				return err
			}
		case p.is("placement"):
			if err := p.placement(); err != nil {
				return err
			}
		default:
			return unsupported("CREATE DATABASE option %s", p.found())
		}
	}
	if db.Primary == "" {
		if len(regions) > 0 {
			return fmt.Errorf("REGIONS without PRIMARY REGION")
		}
		if db.Survival == placement.SurvivalRegion || db.Placement == placement.PlacementRestricted {
			return fmt.Errorf("SURVIVE/PLACEMENT need a PRIMARY REGION")
		}
		return nil
	}
	db.Regions = []string{db.Primary}
	for _, r := range regions {
		if !slices.Contains(db.Regions, r) {
			db.Regions = append(db.Regions, r)
		}
	}
	return nil
}

// survive parses SURVIVE [=] {ZONE|AVAILABILITY ZONE|REGION} FAILURE.
func (p *parser) survive() error {
	if !p.accept("survive") {
		p.accept("survival", "goal")
	}
	p.accept("=")
	switch {
	case p.accept("zone"), p.accept("availability", "zone"):
		p.s.Database.Survival = placement.SurvivalZone
	case p.accept("region"):
		p.s.Database.Survival = placement.SurvivalRegion
	default:
		return fmt.Errorf("want ZONE or REGION after SURVIVE, found %s", p.found())
	}
	return p.expect("failure")
}

// placement parses PLACEMENT {DEFAULT|RESTRICTED}.
func (p *parser) placement() error {
	if err := p.expect("placement"); err != nil {
		return err
	}
	switch {
	case p.accept("default"):
		p.s.Database.Placement = placement.PlacementDefault
	case p.accept("restricted"):
		p.s.Database.Placement = placement.PlacementRestricted
	default:
		return fmt.Errorf("want DEFAULT or RESTRICTED after PLACEMENT, found %s", p.found())
	}
	return nil
}

// needRegion fails unless r is a database region.
func (p *parser) needRegion(r string) error {
	if !slices.Contains(p.s.Database.Regions, r) {
		if !p.s.Database.MultiRegion() {
			return fmt.Errorf("region %q: the database has no regions yet (set its PRIMARY REGION first)", r)
		}
		return fmt.Errorf("region %q is not a database region (%s)", r, strings.Join(p.s.Database.Regions, ", "))
	}
	return nil
}

// alterDatabase parses the rest of ALTER DATABASE name ….
func (p *parser) alterDatabase() error {
	name, err := p.name()
	if err != nil {
		return err
	}
	if err := p.useDatabase(name); err != nil {
		return err
	}
	db := &p.s.Database
	switch {
	case p.accept("set", "primary", "region"), p.accept("primary", "region"):
		p.accept("=")
		r, err := p.region()
		if err != nil {
			return err
		}
		if db.MultiRegion() && !slices.Contains(db.Regions, r) {
			return fmt.Errorf("region %q must be added before it can be the primary region", r)
		}
		db.Primary = r
		if len(db.Regions) == 0 {
			db.Regions = []string{r}
		}
	case p.accept("add", "region"):
		p.accept("if", "not", "exists")
		r, err := p.region()
		if err != nil {
			return err
		}
		if !db.MultiRegion() {
			return fmt.Errorf("ADD REGION %q before the database has a PRIMARY REGION", r)
		}
		if !slices.Contains(db.Regions, r) {
			db.Regions = append(db.Regions, r)
		}
	case p.accept("set", "secondary", "region"):
		p.accept("=")
		r, err := p.region()
		if err != nil {
			return err
		}
		if err := p.needRegion(r); err != nil {
			return err
		}
		if r == db.Primary {
			return fmt.Errorf("the secondary region %q is the primary region", r)
		}
		db.Secondary = r
	case p.accept("drop", "secondary", "region"):
		p.accept("if", "exists")
		db.Secondary = ""
	case p.is("survive"), p.is("survival"):
		if !db.MultiRegion() {
			return fmt.Errorf("SURVIVE before the database has a PRIMARY REGION")
		}
		return p.then(p.survive)
	case p.is("placement"):
		if !db.MultiRegion() {
			return fmt.Errorf("PLACEMENT before the database has a PRIMARY REGION")
		}
		return p.then(p.placement)
	case p.accept("add", "super", "region"):
		sr, err := p.name()
		if err != nil {
			return err
		}
		if err := p.expect("values"); err != nil {
			return err
		}
		rs, err := p.regionList()
		if err != nil {
			return err
		}
		for _, r := range rs {
			if err := p.needRegion(r); err != nil {
				return err
			}
		}
		if _, ok := db.SuperRegions[sr]; ok {
			return fmt.Errorf("super region %q already exists", sr)
		}
		if db.SuperRegions == nil {
			db.SuperRegions = map[string][]string{}
		}
		db.SuperRegions[sr] = rs
	case p.accept("drop", "super", "region"):
		sr, err := p.name()
		if err != nil {
			return err
		}
		if _, ok := db.SuperRegions[sr]; !ok {
			return fmt.Errorf("no super region %q", sr)
		}
		delete(db.SuperRegions, sr)
		if len(db.SuperRegions) == 0 {
			db.SuperRegions = nil
		}
	default:
		return unsupported("ALTER DATABASE … %s (regionsim reads PRIMARY REGION, ADD REGION, SET/DROP SECONDARY REGION, SURVIVE, PLACEMENT, ADD/DROP SUPER REGION)", p.found())
	}
	return p.end()
}

// then runs f and checks the statement is consumed.
func (p *parser) then(f func() error) error {
	if err := f(); err != nil {
		return err
	}
	return p.end()
}

// table returns the table named name, or nil.
func (p *parser) table(name string) *Table {
	for i := range p.s.Tables {
		if p.s.Tables[i].Name == name {
			return &p.s.Tables[i]
		}
	}
	return nil
}

// createTable parses the rest of CREATE TABLE [IF NOT EXISTS] name (…)
// [LOCALITY …].
func (p *parser) createTable() error {
	p.accept("if", "not", "exists")
	name, err := p.name()
	if err != nil {
		return err
	}
	if p.table(name) != nil {
		return fmt.Errorf("table %q already exists", name)
	}
	t := Table{Name: name, columns: map[string]*column{}}
	if p.is("as") {
		return unsupported("CREATE TABLE … AS (regionsim reads a table from its column list)")
	}
	if err := p.expect("("); err != nil {
		return err
	}
	for {
		elem := p.element()
		if err := t.tableElement(elem); err != nil {
			return err
		}
		if p.accept(")") {
			break
		}
		if err := p.expect(","); err != nil {
			return err
		}
	}
	if p.accept("locality") {
		if err := p.locality(&t); err != nil {
			return err
		}
	}
	if !p.done() {
		return unsupported("CREATE TABLE option %s (regionsim reads only LOCALITY after the column list)", p.found())
	}
	p.s.Tables = append(p.s.Tables, t)
	return nil
}

// element consumes the tokens of one table element: up to the next ',' or
// ')' at parenthesis depth 0 (not consumed).
func (p *parser) element() []token {
	start, depth := p.pos, 0
	for !p.done() {
		t := p.peek()
		if t.kind == tokPunct {
			switch t.text {
			case "(":
				depth++
			case ")":
				if depth == 0 {
					return p.toks[start:p.pos]
				}
				depth--
			case ",":
				if depth == 0 {
					return p.toks[start:p.pos]
				}
			}
		}
		p.pos++
	}
	return p.toks[start:p.pos]
}

// tableElement records a column definition or a PRIMARY KEY constraint;
// other constraints, indexes and families are skipped.
func (t *Table) tableElement(toks []token) error {
	sub := &parser{toks: toks}
	switch {
	case sub.accept("primary", "key"):
		cols, err := sub.columnList()
		if err != nil {
			return err
		}
		t.pk = cols
		return nil
	case sub.is("constraint"), sub.is("unique"), sub.is("index"), sub.is("inverted"),
		sub.is("family"), sub.is("check"), sub.is("foreign"):
		if sub.accept("constraint") {
			if _, err := sub.name(); err != nil {
				return err
			}
			if sub.accept("primary", "key") {
				cols, err := sub.columnList()
				if err != nil {
					return err
				}
				t.pk = cols
			}
		}
		return nil
	}
	return t.columnDef(sub)
}

// columnList parses ( col [ASC|DESC] [, …] ).
func (p *parser) columnList() ([]string, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	var cols []string
	for {
		c, err := p.name()
		if err != nil {
			return nil, err
		}
		cols = append(cols, c)
		p.accept("asc")
		p.accept("desc")
		if p.accept(")") {
			return cols, nil
		}
		if err := p.expect(","); err != nil {
			return nil, err
		}
	}
}

// columnDef parses name type [qualifiers]: it keeps the type, DEFAULT
// gen_random_uuid(), PRIMARY KEY, and the CASE mapping of a computed
// crdb_internal_region column; other qualifiers are skipped.
func (t *Table) columnDef(p *parser) error {
	name, err := p.name()
	if err != nil {
		return err
	}
	if _, ok := t.columns[name]; ok {
		return fmt.Errorf("column %q already exists in table %q", name, t.Name)
	}
	typ, err := p.name()
	if err != nil {
		return fmt.Errorf("column %q: %w", name, err)
	}
	c := &column{typ: typ}
	for !p.done() {
		switch {
		case p.accept("default"):
			if p.accept("gen_random_uuid", "(", ")") {
				c.randomUUID = true
			}
		case p.accept("primary", "key"):
			t.pk = []string{name}
		case p.is("as"), p.is("generated"):
			p.accept("generated", "always")
			p.accept("as")
			if typ != "crdb_internal_region" {
				p.pos++ // skip other computed columns' expressions
				continue
			}
			if err := c.regionCase(p); err != nil {
				return fmt.Errorf("column %q: %w", name, err)
			}
		default:
			p.pos++
		}
	}
	t.columns[name] = c
	return nil
}

// regionCase parses ( CASE WHEN col IN ('a', …) THEN 'r' … [ELSE 'r'] END )
// [STORED|VIRTUAL].
func (c *column) regionCase(p *parser) error {
	if err := p.expect("("); err != nil {
		return err
	}
	if err := p.expect("case"); err != nil {
		return fmt.Errorf("regionsim reads a computed region column only as CASE WHEN col IN (…) THEN 'region' … END: %w", err)
	}
	c.cityRegions = map[string]string{}
	for p.accept("when") {
		col, err := p.name()
		if err != nil {
			return err
		}
		if c.cityCol != "" && c.cityCol != col {
			return unsupported("CASE tests two columns, %q and %q", c.cityCol, col)
		}
		c.cityCol = col
		var values []string
		switch {
		case p.accept("in"):
			if err := p.expect("("); err != nil {
				return err
			}
			for {
				v, err := p.stringLit()
				if err != nil {
					return err
				}
				values = append(values, v)
				if p.accept(")") {
					break
				}
				if err := p.expect(","); err != nil {
					return err
				}
			}
		case p.accept("="):
			v, err := p.stringLit()
			if err != nil {
				return err
			}
			values = append(values, v)
		default:
			return unsupported("WHEN %s %s (regionsim reads WHEN col IN (…) and WHEN col = '…')", col, p.found())
		}
		if err := p.expect("then"); err != nil {
			return err
		}
		r, err := p.stringLit()
		if err != nil {
			return err
		}
		for _, v := range values {
			if _, ok := c.cityRegions[v]; !ok { // the first matching WHEN wins
				c.cityRegions[v] = r
			}
		}
	}
	if c.cityCol == "" {
		return fmt.Errorf("CASE without WHEN")
	}
	if p.accept("else") {
		r, err := p.stringLit()
		if err != nil {
			return err
		}
		c.elseRegion = r
	}
	if err := p.expect("end"); err != nil {
		return err
	}
	if err := p.expect(")"); err != nil {
		return err
	}
	return nil
}

// stringLit consumes 'x' [::type].
func (p *parser) stringLit() (string, error) {
	t := p.peek()
	if t.kind != tokString {
		return "", fmt.Errorf("want a string literal, found %s", p.found())
	}
	p.pos++
	if p.accept(":", ":") {
		if _, err := p.name(); err != nil {
			return "", err
		}
	}
	return t.text, nil
}

// locality parses the clause after LOCALITY into t.
func (p *parser) locality(t *Table) error {
	if !p.s.Database.MultiRegion() {
		return fmt.Errorf("LOCALITY on table %q in a database without a PRIMARY REGION", t.Name)
	}
	switch {
	case p.accept("global"):
		t.Locality, t.HomeRegion, t.RegionColumn = placement.LocalityGlobal, "", ""
	case p.accept("regional", "by", "row"):
		col := "crdb_region"
		if p.accept("as") {
			var err error
			if col, err = p.name(); err != nil {
				return err
			}
			c, ok := t.columns[col]
			if !ok {
				return fmt.Errorf("REGIONAL BY ROW AS %q: table %q has no such column", col, t.Name)
			}
			if c.typ != "crdb_internal_region" {
				return fmt.Errorf("REGIONAL BY ROW AS %q: the column is %s, not crdb_internal_region", col, c.typ)
			}
			for _, r := range slices.Sorted(maps.Values(c.cityRegions)) {
				if err := p.needRegion(r); err != nil {
					return fmt.Errorf("column %q: %w", col, err)
				}
			}
			if c.elseRegion != "" {
				if err := p.needRegion(c.elseRegion); err != nil {
					return fmt.Errorf("column %q: %w", col, err)
				}
			}
		}
		t.Locality, t.HomeRegion, t.RegionColumn = placement.LocalityRegionalByRow, "", col
	case p.accept("regional"):
		p.accept("by", "table")
		home := ""
		if p.accept("in") {
			if !p.accept("primary", "region") {
				r, err := p.region()
				if err != nil {
					return err
				}
				if err := p.needRegion(r); err != nil {
					return err
				}
				home = r
			}
		}
		t.Locality, t.HomeRegion, t.RegionColumn = placement.LocalityRegionalByTable, home, ""
	default:
		return fmt.Errorf("want GLOBAL, REGIONAL BY TABLE or REGIONAL BY ROW after LOCALITY, found %s", p.found())
	}
	return nil
}

// alterTable parses the rest of ALTER TABLE name {SET LOCALITY … | ADD
// COLUMN …}.
func (p *parser) alterTable() error {
	p.accept("if", "exists")
	name, err := p.name()
	if err != nil {
		return err
	}
	if !p.is("set", "locality") && (!p.is("add") || p.is("add", "constraint") || p.is("add", "primary")) {
		return unsupported("ALTER TABLE … %s (regionsim reads SET LOCALITY and ADD COLUMN)", p.found())
	}
	t := p.table(name)
	if t == nil {
		return fmt.Errorf("no table %q (create it first)", name)
	}
	switch {
	case p.accept("set", "locality"):
		if err := p.locality(t); err != nil {
			return err
		}
		return p.end()
	case p.accept("add", "column"), p.is("add") && !p.is("add", "constraint") && !p.is("add", "primary"):
		p.accept("add")
		p.accept("if", "not", "exists")
		return t.columnDef(p)
	}
	return unsupported("ALTER TABLE … %s (regionsim reads SET LOCALITY and ADD COLUMN)", p.found())
}
