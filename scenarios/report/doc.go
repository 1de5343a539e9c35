// Package report owns the rendering of simulation results: one Result, a
// Comparison of several runs, or a SweepResult, written as an aligned text
// table, CSV, JSON or a GitHub Markdown document (Format, ParseFormat,
// WriteResult, WriteComparison, WriteSweep). JSON is a versioned document
// (Header, RunDocument, CompareDocument, SweepDocument; SchemaVersion).
// ResultFiles, ComparisonFiles and SweepFiles list the files of an output
// set (the CLI's --out): the JSON document, the CSV tables (stats.csv and
// ResultCSVs) and the resolved scenario (WriteScenario). A Listing (the
// CLI's scenarios, presets and topology in CSV, JSON or Markdown:
// ScenariosListing, PresetsListing, TopologyListing, WriteListing) is a set
// of named tables of records. WriteExplain renders the critical-path
// attribution of selected stats (`regionsim explain`; ExplainDocument).
//
// Rendering is deterministic: rows keep the order of Result.Stats (already
// sorted by table, op and client region), every map is read in sorted key
// order, and the one nondeterministic field, Result.WallSeconds, appears only
// in JSON. The same seed therefore gives byte-identical table, CSV and
// Markdown output. Latencies are printed in milliseconds and times in
// seconds, as Result stores them; the column headers name the unit.
//
// Package report imports only the standard library and the result types of
// package scenarios. It never reaches back into the engine: everything it
// prints is in the Result values it is given.
package report
