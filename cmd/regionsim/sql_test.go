package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTopologySQLMatchesUsersByCity: the seed article's users DDL, through
// a scenario file's sql: with --survival region, prints exactly the
// placement of the users-by-city built-in.
func TestTopologySQLMatchesUsersByCity(t *testing.T) {
	code, want, stderr := runCLI("topology", "users-by-city")
	require.Equal(t, 0, code, stderr)
	code, got, stderr := runCLI("topology", "../../scenarios/testdata/users-by-city-sql.yaml", "--survival", "region")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, want, got)
	assert.Contains(t, got, "Table users (regional-by-row), 3 ranges")
}

// TestBareSQL: a .sql file shows its placement; a run needs a workload.
func TestBareSQL(t *testing.T) {
	const sql = "../../scenarios/ddl/testdata/users.sql"
	code, out, stderr := runCLI("topology", sql)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "Database: regions eu-central-1, eu-west-3, us-east-2; primary eu-central-1; zone survival")
	assert.Contains(t, out, "Table users (regional-by-row)")
	for _, cmd := range []string{"run", "compare", "sweep"} {
		code, _, stderr = runCLI(cmd, sql)
		assert.Equal(t, 2, code, cmd)
		assert.Contains(t, stderr, "no workload", cmd)
		assert.Contains(t, stderr, "sql: users.sql", cmd)
	}
}

// TestSQLUnsupportedExitsTwo: a table of DDL inputs with one unsupported
// or bad statement each: topology on the bare file, and run on a scenario
// file naming it in sql:, exit 2 with the file, the line and the
// statement.
func TestSQLUnsupportedExitsTwo(t *testing.T) {
	const head = "-- head\nCREATE DATABASE d PRIMARY REGION \"us-east1\" REGIONS \"us-west1\";\n"
	cases := []struct{ stmt, want string }{
		{"DROP TABLE t", "DROP TABLE"},
		{"ALTER DATABASE d DROP REGION \"us-west1\"", "ALTER DATABASE"},
		{"ALTER DATABASE d CONFIGURE ZONE USING num_voters = 5", "ALTER DATABASE"},
		{"ALTER TABLE t RENAME TO u", "ALTER TABLE"},
		{"ALTER TABLE t CONFIGURE ZONE USING num_replicas = 5", "ALTER TABLE"},
		{"ALTER TABLE t ADD CONSTRAINT c CHECK (id > 0)", "ALTER TABLE"},
		{"CREATE TABLE u (id INT) PARTITION BY LIST (id) (PARTITION p VALUES IN (1))", "CREATE TABLE option"},
		{"CREATE TABLE u (id INT) LOCALITY REGIONAL BY ROW AS nope", "no such column"},
		{"CREATE TABLE u (id INT) LOCALITY REGIONAL IN \"eu-west1\"", "not a database region"},
		{"CREATE VIEW v AS SELECT 1", "CREATE VIEW"},
		{"CREATE SEQUENCE s", "CREATE SEQUENCE"},
		{"CREATE DATABASE e", "second"},
		{"ALTER DATABASE e SURVIVE REGION FAILURE", "second database"},
		{"GRANT ALL ON DATABASE d TO u", "GRANT"},
		{"BEGIN", "BEGIN"},
		{"ALTER RANGE default CONFIGURE ZONE USING num_replicas = 5", "ALTER RANGE"},
		{"SELECT 'oops", "unterminated string"},
		{"ALTER DATABASE d ADD SUPER REGION eu VALUES \"eu-west1\"", "not a database region"},
	}
	dir := t.TempDir()
	for i, c := range cases {
		src := head + "CREATE TABLE t (id INT PRIMARY KEY);\n\n" + c.stmt + ";\nCREATE TABLE z (id INT);\n"
		sqlPath := filepath.Join(dir, "s.sql")
		require.NoError(t, os.WriteFile(sqlPath, []byte(src), 0o644))
		code, _, stderr := runCLI("topology", sqlPath)
		assert.Equal(t, 2, code, c.stmt)
		assert.Contains(t, stderr, sqlPath+":5: ", c.stmt)
		assert.Contains(t, stderr, c.want, c.stmt)
		if !strings.Contains(c.stmt, "'") {
			assert.Contains(t, stderr, c.stmt[:min(len(c.stmt), 30)], "the statement is quoted: %s", c.stmt)
		}
		yamlPath := filepath.Join(dir, "s.yaml")
		require.NoError(t, os.WriteFile(yamlPath, []byte("sql: s.sql\nworkload: [{region: us-east1, table: t}]\n"), 0o644))
		code, _, stderr = runCLI("run", yamlPath, "--duration", "1s")
		assert.Equal(t, 2, code, "case %d %s: %s", i, c.stmt, stderr)
		assert.Contains(t, stderr, sqlPath+":5: ", c.stmt)
	}
}

// TestSQLSkippedStatementsAreNamed: the statements the DDL reader skips
// (data statements) are named on stderr, never dropped silently.
func TestSQLSkippedStatementsAreNamed(t *testing.T) {
	code, _, stderr := runCLI("topology", filepath.Join("..", "..", "scenarios", "ddl", "testdata", "users.sql"))
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "sql: skipped 6 statements that cannot change placement: line 20: CREATE INDEX, line 22: INSERT")
}
