// Package schema generates the JSON Schemas of regionsim's data contract
// from the Go types that define it: the scenario file (scenarios.Scenario,
// by its yaml tags) and the JSON documents the CLI writes
// (report.RunDocument, CompareDocument and SweepDocument, by their json
// tags). Descriptions come from the types' doc comments, read from the
// source (ReadDocs); enums, bounds and required fields of the scenario file
// from the exported values of the packages that validate it.
//
// The committed schemas are docs/schema/scenario.schema.json and
// docs/schema/output.schema.json; `make schema` regenerates them, and a test
// fails while they differ from what the types give. Every object schema
// has additionalProperties: false, so a field added to a type without
// regenerating fails the tests that validate real output.
//
// Package schema may import the standard library, go.yaml.in/yaml/v3's
// tag conventions (by reflection only) and the regionsim packages whose
// types it describes; nothing imports it but its tests.
package schema
