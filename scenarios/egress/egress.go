// Package egress prices network traffic: per-provider tables of what a
// cloud charges for data moved between two zones of a region and between
// two regions, kept as data files (prices.csv, areas.csv) that cite the
// provider's page each figure comes from, the date it was read, and
// whether it could be confirmed there. It imports nothing of regionsim's.
package egress

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

//go:embed prices.csv
var pricesCSV string

//go:embed areas.csv
var areasCSV string

// Providers whose tables prices.csv holds, and None: no pricing.
const (
	GCP   = "gcp"
	AWS   = "aws"
	Azure = "azure"
	None  = "none"
)

// Providers lists the provider names a scenario may give, None last.
func Providers() []string { return []string{GCP, AWS, Azure, None} }

// HoursPerMonth is the month the providers' calculators bill: 730 hours
// (365 × 24 / 12), as the AWS and Google Cloud pricing calculators use.
const HoursPerMonth = 730

// Price is one row of a provider's table.
type Price struct {
	Provider string
	// Kind is "zone" (between zones of one region) or "region".
	Kind string
	// From and To are price areas (areas.csv), "*" for any.
	From, To string
	// USD is the price of one Unit moved.
	USD float64
	// UnitBytes is the size of the unit: 1e9 (GB) or 2^30 (GiB).
	UnitBytes float64
	// Both is set when sender and receiver each pay USD per unit (AWS
	// between zones): a byte moved costs twice the price.
	Both bool
	// Confirmed reports whether the figure was read on the provider's own
	// page; Source says where it was read.
	Confirmed bool
	Source    string
}

// PerByte returns what moving one byte costs in USD under p.
func (p Price) PerByte() float64 {
	f := p.USD / p.UnitBytes
	if p.Both {
		f *= 2
	}
	return f
}

type area struct{ prefix, area string }

var (
	prices []Price
	areas  []area
)

func init() {
	var err error
	if prices, err = parsePrices(pricesCSV); err != nil {
		panic("egress: prices.csv: " + err.Error())
	}
	if areas, err = parseAreas(areasCSV); err != nil {
		panic("egress: areas.csv: " + err.Error())
	}
}

func records(text string) ([][]string, error) {
	r := csv.NewReader(strings.NewReader(text))
	r.Comment = '#'
	rows, err := r.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) < 2 {
		return nil, fmt.Errorf("no rows")
	}
	return rows[1:], nil
}

func parsePrices(text string) ([]Price, error) {
	rows, err := records(text)
	if err != nil {
		return nil, err
	}
	var out []Price
	for i, row := range rows {
		if len(row) != 9 {
			return nil, fmt.Errorf("row %d: %d fields, want 9", i+1, len(row))
		}
		usd, err := strconv.ParseFloat(row[4], 64)
		if err != nil || usd < 0 {
			return nil, fmt.Errorf("row %d: usd %q", i+1, row[4])
		}
		p := Price{Provider: row[0], Kind: row[1], From: row[2], To: row[3], USD: usd,
			Both: row[6] == "both", Confirmed: row[7] == "yes", Source: row[8]}
		switch row[5] {
		case "GB":
			p.UnitBytes = 1e9
		case "GiB":
			p.UnitBytes = 1 << 30
		default:
			return nil, fmt.Errorf("row %d: unit %q", i+1, row[5])
		}
		if p.Kind != "zone" && p.Kind != "region" {
			return nil, fmt.Errorf("row %d: kind %q", i+1, p.Kind)
		}
		out = append(out, p)
	}
	return out, nil
}

func parseAreas(text string) ([]area, error) {
	rows, err := records(text)
	if err != nil {
		return nil, err
	}
	var out []area
	for _, row := range rows {
		out = append(out, area{row[0], row[1]})
	}
	// Longest prefix first.
	slices.SortStableFunc(out, func(a, b area) int { return len(b.prefix) - len(a.prefix) })
	return out, nil
}

// Area returns the price area of a region name ("us-east1" → "na"), or ""
// when no prefix of areas.csv matches it.
func Area(region string) string {
	for _, a := range areas {
		if strings.HasPrefix(region, a.prefix) {
			return a.area
		}
	}
	return ""
}

// Known reports whether provider names a table (or is None).
func Known(provider string) bool {
	return provider == None || slices.ContainsFunc(prices, func(p Price) bool { return p.Provider == provider })
}

// Between returns the price of traffic from region from to region to
// (zone prices when from == to: between two zones of that region) under
// provider's table, and whether there is one: None, an unknown provider
// and regions without an area have none.
func Between(provider, from, to string) (Price, bool) {
	kind, fa, ta := "zone", "", ""
	if from != to {
		kind, fa, ta = "region", Area(from), Area(to)
		if fa == "" || ta == "" {
			return Price{}, false
		}
	}
	for _, p := range prices {
		if p.Provider != provider || p.Kind != kind {
			continue
		}
		if kind == "zone" || (match(p.From, fa) && match(p.To, ta)) || (match(p.From, ta) && match(p.To, fa)) {
			return p, true
		}
	}
	return Price{}, false
}

func match(pattern, area string) bool { return pattern == "*" || pattern == area }

// ForPreset returns the provider whose regions an RTT preset names: aws for
// aws and seed-blog, azure for azure, gcp for gcp, crdb-demo and roachprod
// (GCP region names), None for anything else (a CSV file).
func ForPreset(rtt string) string {
	switch rtt {
	case "aws", "seed-blog":
		return AWS
	case "azure":
		return Azure
	case "gcp", "crdb-demo", "roachprod":
		return GCP
	}
	return None
}
