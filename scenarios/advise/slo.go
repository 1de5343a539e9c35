package advise

import (
	"errors"
	"fmt"
	"strings"

	"github.com/regionsim/regionsim/raft"
	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/scenarios/slo"
)

// Grammar is the SLO grammar in one line, for messages and help.
const Grammar = "[TABLE.][OP.]METRIC[@CLIENT_REGION] CMP VALUE, or survive=zone|region"

// Survival SLOs (SLO.Survive).
const (
	SurviveZone   = "zone"
	SurviveRegion = "region"
)

// SLO is one --slo expression: a latency (or error) assertion checked
// against a run without faults, or a survival goal checked against one run
// per outage.
type SLO struct {
	// Expr is the expression as given, surrounding space trimmed.
	Expr string
	// Assertion is the parsed assertion (slo.Parse), nil for a survival
	// SLO.
	Assertion *slo.Assertion
	// Survive is SurviveZone or SurviveRegion for survive=…: every client
	// (table × op × client region) must stall no longer than the bound
	// (Options.SurviveWithin) while any one AZ (zone) or region (region)
	// is down; "" for an assertion.
	Survive string
}

// String returns s.Expr.
func (s SLO) String() string { return s.Expr }

// Parse parses one SLO. Besides slo.Grammar it takes a selector of two
// parts: OP.METRIC (read.p99: every table) when the first part is an op,
// else TABLE.METRIC (users.p99: every op). Errors name the expression and
// wrap slo.ErrSyntax or slo.ErrUnknownName.
func Parse(expr string) (SLO, error) {
	expr = strings.TrimSpace(expr)
	if rest, ok := strings.CutPrefix(expr, "survive"); ok {
		rest = strings.TrimSpace(rest)
		v, ok := strings.CutPrefix(rest, "=")
		if !ok || strings.HasPrefix(v, "=") {
			return SLO{}, &slo.Error{Expr: expr, Err: fmt.Errorf("%w: want survive=zone or survive=region", slo.ErrSyntax)}
		}
		switch v = strings.TrimSpace(v); v {
		case SurviveZone, SurviveRegion:
			return SLO{Expr: expr, Survive: v}, nil
		}
		return SLO{}, &slo.Error{Expr: expr, Err: fmt.Errorf("%w: survive=%q (want zone or region)", slo.ErrSyntax, v)}
	}
	a, err := slo.Parse(widen(expr))
	if err != nil {
		var se *slo.Error
		if errors.As(err, &se) {
			se.Expr = expr
		}
		return SLO{}, err
	}
	a.Expr = expr
	return SLO{Expr: expr, Assertion: &a}, nil
}

// widen rewrites a two-part selector into slo's three parts: OP.METRIC to
// *.OP.METRIC, TABLE.METRIC to TABLE.*.METRIC; anything else is returned
// as is.
func widen(expr string) string {
	i := strings.IndexAny(expr, "<>=!")
	if i < 0 {
		return expr
	}
	sel, rest := strings.TrimSpace(expr[:i]), expr[i:]
	region := ""
	if at := strings.IndexByte(sel, '@'); at >= 0 {
		sel, region = sel[:at], sel[at:]
	}
	parts := strings.Split(sel, ".")
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return expr
	}
	if _, err := raft.ParseOp(parts[0]); err == nil || parts[0] == "*" {
		return "*." + sel + region + rest
	}
	return parts[0] + ".*." + parts[1] + region + rest
}

// ParseAll parses every expression; the error joins those of the
// malformed ones.
func ParseAll(exprs []string) ([]SLO, error) {
	var out []SLO
	var errs []error
	for _, e := range exprs {
		s, err := Parse(e)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, s)
	}
	return out, errors.Join(errs...)
}

// CheckScope refuses an SLO that the runs of s cannot answer (a table, op
// or client region s has no requests for), before anything runs; it
// returns the errors joined, each an *slo.Error.
func CheckScope(s *scenarios.Scenario, slos []SLO) error {
	sc := slo.ScenarioScope(s, "advise", false)
	var errs []error
	for _, x := range slos {
		if x.Assertion != nil {
			errs = append(errs, x.Assertion.Check(sc))
		}
	}
	return errors.Join(errs...)
}
