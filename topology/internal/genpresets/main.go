// Command genpresets derives the RTT preset files in topology/presets from
// the reference measurements in shared/reference/rtt (see
// shared/reference/latency-data.md). It is run by `go generate` in package
// topology:
//
//	go run ./internal/genpresets -ref ../../shared/reference/rtt -out presets
//
// Every output row keeps the source text of the row it came from; numbers are
// copied as written (no reformatting). The derivation rules are listed in
// presets/README.md and in the table below. The program imports only the
// standard library.
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
)

// roachprodSource is the source text of the roachprod preset's rows.
const roachprodSource = "cockroachdb/cockroach pkg/roachprod/failureinjection/failures/multiregion_latency.go " +
	"@3d89a1bc8917d3ff88e4a5e8dc7e4e921ced5084 defaultLatencyMap (roachprod multi-region latency injection; " +
	"comment: numbers copied from the GCP console Network Intelligence performance dashboard); " +
	"region names us-east/us-west/europe-west mapped to us-east1/us-west1/europe-west1; " +
	"injected as constant one-way = RTT/2"

// spec describes how one preset file is derived.
type spec struct {
	out     string   // output file name under -out
	in      string   // input file name under -ref ("" = rows below)
	tail    string   // tail column copied from the input ("" = none)
	regions []string // keep only pairs among these regions (nil = all)
	rows    [][]string
	note    string // first comment line of the output
}

var specs = []spec{
	{out: "crdb-demo.csv", in: "cockroach_demo.csv",
		note: "cockroach demo --global round trips; derived from reference/rtt/cockroach_demo.csv (p50_ms and source kept; p99_ms is empty there)"},
	{out: "roachprod.csv", rows: [][]string{
		{"us-east1", "us-west1", "64", roachprodSource},
		{"us-east1", "europe-west1", "86", roachprodSource},
		{"us-west1", "europe-west1", "132", roachprodSource},
	}, note: "roachprod multi-region latency injection; one row per pair (symmetric), copied from the Go source cited in each row"},
	{out: "aws.csv", in: "aws_p50_p90.csv", tail: "p90_ms",
		note: "AWS cloudping 1-year p50 and p90; derived from reference/rtt/aws_p50_p90.csv with from==to rows (probe overhead) dropped"},
	{out: "gcp.csv", in: "gcp.csv",
		note: "GCP GCE ping mean (p50 proxy), 2019-09; derived from reference/rtt/gcp.csv (p50_ms and source kept; p99_ms is empty there)"},
	{out: "azure.csv", in: "azure.csv",
		note: "Azure published monthly P50; derived from reference/rtt/azure.csv (p50_ms and source kept; p99_ms is empty there)"},
	{out: "seed-blog.csv", in: "aws_p50_p90.csv", tail: "p90_ms",
		regions: []string{"eu-central-1", "eu-west-3", "us-east-2"},
		note:    "AWS eu-central-1, eu-west-3, us-east-2 (a region-survival blog example); rows of reference/rtt/aws_p50_p90.csv among these regions, from==to dropped"},
}

func main() {
	ref := flag.String("ref", "../../shared/reference/rtt", "directory holding the reference RTT CSV files")
	out := flag.String("out", "presets", "directory to write the preset CSV files to")
	flag.Parse()
	for _, s := range specs {
		if err := generate(*ref, *out, s); err != nil {
			fmt.Fprintln(os.Stderr, "genpresets:", err)
			os.Exit(1)
		}
	}
}

func generate(ref, out string, s spec) error {
	rows := s.rows
	if s.in != "" {
		var err error
		if rows, err = derive(filepath.Join(ref, s.in), s); err != nil {
			return err
		}
	}
	f, err := os.Create(filepath.Join(out, s.out))
	if err != nil {
		return err
	}
	if err := write(f, s, rows); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", s.out, err)
	}
	return f.Close()
}

// derive reads a reference file with a header naming from, to, p50_ms,
// source and (optionally) the tail column, and returns the kept rows as
// from, to, p50[, tail], source.
func derive(path string, s spec) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	need := []string{"from", "to", "p50_ms", "source"}
	if s.tail != "" {
		need = slices.Insert(need, 3, s.tail)
	}
	for _, n := range need {
		if _, ok := col[n]; !ok {
			return nil, fmt.Errorf("%s: no %q column", path, n)
		}
	}
	var rows [][]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		from, to := rec[col["from"]], rec[col["to"]]
		if from == to {
			continue // probe overhead, not an inter-region RTT
		}
		if s.regions != nil && (!slices.Contains(s.regions, from) || !slices.Contains(s.regions, to)) {
			continue
		}
		row := make([]string, 0, len(need))
		for _, n := range need {
			row = append(row, rec[col[n]])
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func write(w io.Writer, s spec, rows [][]string) error {
	if _, err := fmt.Fprintf(w, "# %s\n# generated by topology/internal/genpresets (go generate ./topology); do not edit\n", s.note); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	header := []string{"from", "to", "p50_ms", "source"}
	if s.tail != "" {
		header = []string{"from", "to", "p50_ms", s.tail, "source"}
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	return cw.Error()
}
