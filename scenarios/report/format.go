package report

import (
	"errors"
	"fmt"
)

// Format is an output format for results and comparisons. Its value is the
// name that the CLI's --format flag takes; the zero value is not a valid
// format.
type Format string

// The output formats.
const (
	// Table is aligned plain text for a terminal: a header block of run
	// parameters, the latency table, and short unavailability and lease
	// sections when the run has any.
	Table Format = "table"
	// CSV is one header line and one row per Stat (per key × run for a
	// comparison), floats in full precision.
	CSV Format = "csv"
	// JSON is a document of DESIGN.md's JSON contract (RunDocument,
	// CompareDocument, SweepDocument: a versioned Header, the results and
	// the resolved scenario), indented, with a trailing newline.
	JSON Format = "json"
	// Markdown is a GitHub-flavoured Markdown document with a heading, a
	// line of run parameters and tables.
	Markdown Format = "markdown"
)

// ErrUnknownFormat is wrapped by ParseFormat, WriteResult and
// WriteComparison when given a format name that is not one of Formats.
var ErrUnknownFormat = errors.New("unknown format")

// Formats returns every Format in the order the CLI lists them.
func Formats() []Format { return []Format{Table, CSV, JSON, Markdown} }

// String returns the format's name.
func (f Format) String() string { return string(f) }

// ParseFormat returns the Format named s (exactly, in lower case). For any
// other s the error wraps ErrUnknownFormat and names s and the choices.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats() {
		if s == string(f) {
			return f, nil
		}
	}
	return "", formatError(s)
}

func formatError(s string) error {
	return fmt.Errorf("report: %w %q (choices: table, csv, json, markdown)", ErrUnknownFormat, s)
}
