package ddl

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/raft/placement"
)

func TestSeedUsers(t *testing.T) {
	src, err := os.ReadFile("testdata/users.sql")
	require.NoError(t, err)
	s, err := Parse(src, "users.sql")
	require.NoError(t, err)
	assert.Equal(t, "test", s.DatabaseName)
	assert.Equal(t, placement.Database{
		Regions: []string{"eu-central-1", "eu-west-3", "us-east-2"}, Primary: "eu-central-1",
		Survival: placement.SurvivalZone, Placement: placement.PlacementDefault,
	}, s.Database)
	require.Len(t, s.Tables, 1)
	u := s.Tables[0]
	assert.Equal(t, "users", u.Name)
	assert.Equal(t, placement.LocalityRegionalByRow, u.Locality)
	assert.Equal(t, "region", u.RegionColumn)
	assert.Equal(t, "city", u.CityColumn)
	assert.Equal(t, "eu-central-1", u.DefaultRegion)
	assert.Len(t, u.CityRegions, 6+24+18)
	assert.Equal(t, "eu-west-3", u.CityRegions["dublin"])
	assert.Equal(t, "us-east-2", u.CityRegions["salt lake city"])
	assert.True(t, u.RandomUUIDKey)
	assert.False(t, u.RegionInKey)
	var kinds []string
	for _, ig := range s.Ignored {
		kinds = append(kinds, ig.Kind)
	}
	assert.Equal(t, []string{"CREATE INDEX", "INSERT", "INSERT", "INSERT", "SELECT", "SHOW"}, kinds)
	assert.Equal(t, 20, s.Ignored[0].Line)
}

// TestSeedVerbatim: the article's text as scraped (no parentheses around
// CREATE TABLE's columns, no CASE) is not SQL; Parse says where.
func TestSeedVerbatim(t *testing.T) {
	src, err := os.ReadFile("testdata/seed-verbatim.sql")
	require.NoError(t, err)
	_, err = Parse(src, "seed")
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 1, e.Line)
	assert.Contains(t, err.Error(), "seed:1: `create table users id uuid not null default gen_random_uuid(), city string no...`: want (, found id")
}

func TestParse(t *testing.T) {
	src := `-- a comment; with a semicolon
CREATE DATABASE movr PRIMARY REGION "us-east1" REGIONS "us-west1", "europe-west1" SURVIVE REGION FAILURE;
ALTER DATABASE movr ADD REGION 'asia-east1';
ALTER DATABASE movr SET SECONDARY REGION "us-west1";
ALTER DATABASE movr PLACEMENT RESTRICTED;
alter database movr add super region "eu" values "europe-west1";
/* block; comment */
CREATE TABLE promo (code STRING PRIMARY KEY) LOCALITY GLOBAL;
CREATE TABLE vehicles (id UUID PRIMARY KEY DEFAULT gen_random_uuid(), note STRING DEFAULT 'a;b''c')
  LOCALITY REGIONAL BY TABLE IN "us-west1";
CREATE TABLE rides (id INT, crdb_region crdb_internal_region, PRIMARY KEY (crdb_region, id)) LOCALITY REGIONAL BY ROW;
CREATE TABLE plain (id INT PRIMARY KEY);
ALTER TABLE plain SET LOCALITY REGIONAL IN PRIMARY REGION;
CREATE TABLE later (id INT PRIMARY KEY);
SET sql_safe_updates = false;
`
	s, err := Parse([]byte(src), "x.sql")
	require.NoError(t, err)
	db := s.Database
	assert.Equal(t, []string{"us-east1", "us-west1", "europe-west1", "asia-east1"}, db.Regions)
	assert.Equal(t, "us-east1", db.Primary)
	assert.Equal(t, "us-west1", db.Secondary)
	assert.Equal(t, placement.SurvivalRegion, db.Survival)
	assert.Equal(t, placement.PlacementRestricted, db.Placement)
	assert.Equal(t, map[string][]string{"eu": {"europe-west1"}}, db.SuperRegions)
	got := map[string]Table{}
	for _, tb := range s.Tables {
		got[tb.Name] = tb
	}
	assert.Equal(t, placement.LocalityGlobal, got["promo"].Locality)
	assert.Equal(t, placement.LocalityRegionalByTable, got["vehicles"].Locality)
	assert.Equal(t, "us-west1", got["vehicles"].HomeRegion)
	assert.True(t, got["vehicles"].RandomUUIDKey)
	assert.Equal(t, placement.LocalityRegionalByRow, got["rides"].Locality)
	assert.True(t, got["rides"].RegionInKey)
	assert.Empty(t, got["rides"].CityRegions)
	assert.Equal(t, placement.LocalityRegionalByTable, got["plain"].Locality)
	assert.Equal(t, "", got["plain"].HomeRegion)
	assert.Equal(t, placement.LocalityRegionalByTable, got["later"].Locality, "a table without LOCALITY in a multi-region database")
	assert.Equal(t, []Ignored{{Kind: "SET", Line: 15}}, s.Ignored)
}

func TestNotMultiRegion(t *testing.T) {
	s, err := Parse([]byte("CREATE TABLE t (id INT PRIMARY KEY)"), "")
	require.NoError(t, err)
	assert.False(t, s.Database.MultiRegion())
	assert.Equal(t, placement.LocalityNone, s.Tables[0].Locality)
}

// TestErrors: each bad statement is an error naming its line; unsupported
// ones wrap ErrUnsupported.
func TestErrors(t *testing.T) {
	const db = "ALTER DATABASE d PRIMARY REGION r1;\nALTER DATABASE d ADD REGION r2;\n"
	cases := []struct {
		src         string
		line        int
		unsupported bool
		msg         string
	}{
		{db + "DROP TABLE t;", 3, true, "DROP TABLE"},
		{db + "ALTER DATABASE d DROP REGION r2;", 3, true, "ALTER DATABASE"},
		{db + "ALTER DATABASE d CONFIGURE ZONE USING num_replicas = 5;", 3, true, "configure"},
		{db + "CREATE TABLE t (a INT);\nALTER TABLE t RENAME TO u;", 4, true, "ALTER TABLE"},
		{db + "CREATE TABLE t (a INT) WITH (ttl = 'on');", 3, true, "CREATE TABLE option"},
		{db + "CREATE VIEW v AS SELECT 1;", 3, true, "CREATE VIEW"},
		{db + "GRANT ALL ON d TO u;", 3, true, "GRANT"},
		{db + "CREATE DATABASE e;", 3, true, "second"},
		{db + "ALTER DATABASE e ADD REGION r3;", 3, true, "second database"},
		{db + "CREATE TABLE t (a INT) LOCALITY REGIONAL BY TABLE IN r9;", 3, false, `"r9" is not a database region`},
		{db + "CREATE TABLE t (a INT) LOCALITY REGIONAL BY ROW AS b;", 3, false, "no such column"},
		{db + "CREATE TABLE t (a INT, r crdb_internal_region AS (CASE WHEN a IN ('x') THEN 'r7' END) STORED) LOCALITY REGIONAL BY ROW AS r;", 3, false, `"r7"`},
		{db + "CREATE TABLE t (a INT, r crdb_internal_region AS (IF(a = 1, 'r1', 'r2')) STORED);", 3, false, "CASE"},
		{"ALTER DATABASE d ADD REGION r2;", 1, false, "PRIMARY REGION"},
		{"CREATE TABLE t (a INT) LOCALITY GLOBAL;", 1, false, "without a PRIMARY REGION"},
		{db + "ALTER TABLE nope SET LOCALITY GLOBAL;", 3, false, "no table"},
		{db + "SELECT 'unterminated;", 3, false, "unterminated string"},
		{db + "ALTER DATABASE d SURVIVE CLOUD FAILURE;", 3, false, "ZONE or REGION"},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.src), "f.sql")
		var e *Error
		if !assert.ErrorAs(t, err, &e, c.src) {
			continue
		}
		assert.Equal(t, c.line, e.Line, c.src)
		assert.Equal(t, c.unsupported, errors.Is(err, ErrUnsupported), "%s: %v", c.src, err)
		assert.Contains(t, strings.ToLower(err.Error()), strings.ToLower(c.msg), c.src)
		assert.Contains(t, err.Error(), "f.sql:", c.src)
	}
}

// FuzzParse: Parse never panics; every error is an *Error with a line
// inside the input.
func FuzzParse(f *testing.F) {
	src, err := os.ReadFile("testdata/users.sql")
	require.NoError(f, err)
	f.Add(string(src))
	f.Add("CREATE DATABASE d PRIMARY REGION a REGIONS b, c SURVIVE REGION FAILURE; ALTER DATABASE d ADD SUPER REGION s VALUES a, b, c;")
	f.Add("DROP TABLE t; -- x")
	f.Fuzz(func(t *testing.T, src string) {
		_, err := Parse([]byte(src), "fuzz")
		if err == nil {
			return
		}
		var e *Error
		require.ErrorAs(t, err, &e)
		require.GreaterOrEqual(t, e.Line, 1)
		require.LessOrEqual(t, e.Line, strings.Count(src, "\n")+1)
	})
}

// unsupportedStatements are statements that change placement or schema in
// CockroachDB but are not modelled: Parse must refuse each one, wherever it
// stands. (A second CREATE DATABASE is refused too, but where the seed
// names its database "test" afterwards, the error is at that statement:
// TestErrors covers it.)
var unsupportedStatements = []string{
	"DROP TABLE users",
	"DROP DATABASE test",
	"ALTER DATABASE test DROP REGION \"us-east-2\"",
	"ALTER DATABASE test CONFIGURE ZONE USING num_replicas = 5",
	"ALTER DATABASE test ALTER LOCALITY GLOBAL CONFIGURE ZONE USING num_voters = 5",
	"ALTER DATABASE test RENAME TO other",
	"ALTER TABLE users RENAME TO people",
	"ALTER TABLE users CONFIGURE ZONE USING num_replicas = 7",
	"ALTER TABLE users ADD CONSTRAINT c CHECK (id IS NOT NULL)",
	"ALTER TABLE users ALTER PRIMARY KEY USING COLUMNS (city, id)",
	"ALTER INDEX users@users_last_name_index CONFIGURE ZONE USING num_replicas = 5",
	"ALTER PARTITION \"eu-west-3\" OF TABLE users CONFIGURE ZONE USING num_voters = 5",
	"ALTER RANGE default CONFIGURE ZONE USING num_replicas = 5",
	"CREATE VIEW v AS SELECT 1",
	"CREATE SEQUENCE s",
	"CREATE TABLE t2 (a INT) PARTITION BY LIST (a) (PARTITION p VALUES IN (1))",
	"CREATE TABLE t3 (a INT) WITH (ttl_expire_after = '1 day')",
	"CREATE TABLE t4 AS SELECT * FROM users",
	"GRANT ALL ON TABLE users TO u",
	"TRUNCATE users",
	"BEGIN",
	"IMPORT INTO users CSV DATA ('x')",
	"RESTORE DATABASE test FROM 'x'",
}

// FuzzUnsupportedInCorpus: the seed's DDL with one unsupported statement
// inserted before its k-th statement, its letters' case changed by a fuzzed
// mask, is refused with ErrUnsupported at the inserted statement's line.
func FuzzUnsupportedInCorpus(f *testing.F) {
	src, err := os.ReadFile("testdata/users.sql")
	require.NoError(f, err)
	stmts, err := split(string(src))
	require.NoError(f, err)
	for i := range unsupportedStatements {
		f.Add(uint8(i), uint8(i%len(stmts)), uint64(i)*0x9e3779b97f4a7c15)
	}
	f.Fuzz(func(t *testing.T, which, before uint8, mask uint64) {
		bad := []byte(unsupportedStatements[int(which)%len(unsupportedStatements)])
		for i := range bad {
			if mask>>(i%64)&1 == 1 && bad[i] >= 'a' && bad[i] <= 'z' && !quoted(bad, i) {
				bad[i] -= 'a' - 'A'
			}
		}
		k := int(before) % (len(stmts) + 1)
		var b strings.Builder
		line := 0
		for i, st := range stmts {
			if i == k {
				line = strings.Count(b.String(), "\n") + 1
				b.WriteString(string(bad) + ";\n")
			}
			b.WriteString(st.text + ";\n")
		}
		if k == len(stmts) {
			line = strings.Count(b.String(), "\n") + 1
			b.WriteString(string(bad) + ";\n")
		}
		_, err := Parse([]byte(b.String()), "fuzz.sql")
		var e *Error
		require.ErrorAs(t, err, &e, "%s before statement %d", bad, k)
		require.ErrorIs(t, err, ErrUnsupported, "%s", bad)
		require.Equal(t, line, e.Line, "%s", bad)
	})
}

// quoted reports whether b[i] is inside a '…' or "…" literal.
func quoted(b []byte, i int) bool {
	var q byte
	for j := 0; j < i; j++ {
		switch {
		case q == 0 && (b[j] == '\'' || b[j] == '"'):
			q = b[j]
		case q != 0 && b[j] == q:
			q = 0
		}
	}
	return q != 0
}
