package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/scenarios/ddl"
)

// TestSQLMatchesUsersByCity: the seed article's users DDL, loaded through
// sql: with the built-in's topology, table sizes and --survival region,
// declares the users-by-city built-in's database and table and places every
// replica and lease where the built-in does.
func TestSQLMatchesUsersByCity(t *testing.T) {
	want, err := Load("users-by-city")
	require.NoError(t, err)
	got, err := LoadUnvalidated("testdata/users-by-city-sql.yaml")
	require.NoError(t, err)
	assert.Empty(t, got.SQL, "Load replaces sql: by what it declares")
	assert.Equal(t, placement.SurvivalZone, got.Database.Survival, "the DDL sets no survival goal")
	require.NoError(t, got.Override(Overrides{Survival: "region"}))

	assert.Equal(t, want.ResolvedDatabase(), got.ResolvedDatabase())
	require.Len(t, got.Tables, 1)
	assert.Equal(t, want.Tables[0], got.Tables[0], "the table, city mapping and primary key kind included")

	wantPlaced, err := want.Place()
	require.NoError(t, err)
	gotPlaced, err := got.Place()
	require.NoError(t, err)
	assert.Equal(t, wantPlaced, gotPlaced)
}

// TestBareSQL: a .sql file is a scenario without workload over the
// database's regions.
func TestBareSQL(t *testing.T) {
	s, err := Load("ddl/testdata/users.sql")
	require.NoError(t, err)
	assert.Equal(t, "users", s.Name)
	assert.Empty(t, s.Workload)
	assert.Equal(t, []string{"eu-central-1", "eu-west-3", "us-east-2"}, s.Topology.Regions)
	assert.Equal(t, "aws", s.Topology.RTT, "the first preset holding every region")
	require.Len(t, s.Tables, 1)
	assert.Equal(t, placement.LocalityRegionalByRow, s.Tables[0].Locality)
	assert.Nil(t, s.Tables[0].CityRegions, "no rows per city without a scenario file")
	assert.Equal(t, PrimaryKeyRandomUUID, s.Tables[0].PrimaryKey)
	_, err = s.Place()
	require.NoError(t, err)
}

// TestSQLErrors: every problem with sql: is bad input naming the field.
func TestSQLErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
		return p
	}
	write("db.sql", "CREATE DATABASE d PRIMARY REGION \"us-east1\" REGIONS \"us-west1\";\nCREATE TABLE t (id INT PRIMARY KEY) LOCALITY GLOBAL;\n")
	write("bad.sql", "CREATE DATABASE d PRIMARY REGION \"us-east1\";\n\nDROP TABLE t;\n")
	cases := []struct{ yaml, want string }{
		{"sql: bad.sql\n", `sql: ` + filepath.Join(dir, "bad.sql") + ":3: `DROP TABLE t`: unsupported statement: DROP TABLE"},
		{"sql: none.sql\n", "sql: reading the DDL"},
		{"sql: db.sql\ndatabase: {survival: region}\n", "database: line 2: the database comes from sql: db.sql"},
		{"sql: db.sql\ntables: [{name: u}]\n", `tables[0].name: "u" is not a table of sql: db.sql`},
		{"sql: db.sql\ntables: [{name: t, locality: global}]\n", "tables[0].locality: table \"t\"'s placement comes from sql: db.sql"},
	}
	for _, c := range cases {
		_, err := Load(write("s.yaml", c.yaml))
		require.Error(t, err, c.yaml)
		assert.ErrorIs(t, err, ErrInvalid, c.yaml)
		assert.Contains(t, err.Error(), c.want, c.yaml)
	}
	_, err := Load(filepath.Join(dir, "bad.sql"))
	assert.ErrorIs(t, err, ErrInvalid)
	assert.ErrorIs(t, err, ddl.ErrUnsupported)
	var de *ddl.Error
	require.True(t, errors.As(err, &de))
	assert.Equal(t, 3, de.Line)

	s, err := Load(write("ok.yaml", "sql: db.sql\ntables: [{name: t, ranges: 2}]\n"))
	require.NoError(t, err)
	assert.Equal(t, placement.LocalityGlobal, s.Tables[0].Locality)
	assert.Equal(t, 2, s.Tables[0].Ranges)
	assert.Equal(t, []string{"us-east1", "us-west1"}, s.Database.Regions)
}
