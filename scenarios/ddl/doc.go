// Package ddl reads CockroachDB multi-region DDL — the statements the
// seeds use to place data — into a Schema: one database (regions, primary
// and secondary region, survival goal, placement policy, super regions) and
// its tables (locality, home region, and for REGIONAL BY ROW the city ->
// region mapping of a computed crdb_internal_region column).
//
// Statements are split on ';' outside string literals, quoted identifiers
// and comments ('--' to the end of the line, '/* … */'); keywords are
// case-insensitive. A statement that would change placement but is not
// modelled is an error naming its line (ErrUnsupported); statements that
// cannot change placement (IgnoredKinds: INSERT, SELECT, CREATE INDEX, …)
// are skipped and listed in Schema.Ignored, so a caller can say so.
//
// Package ddl owns parsing only; scenarios turns a Schema into a
// scenario's database and tables. It may import raft/placement and nothing
// else of ours.
package ddl
