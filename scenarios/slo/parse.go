package slo

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/regionsim/regionsim/raft"
)

// Grammar is the assertion grammar in one line, for messages and help.
const Grammar = "[TABLE.OP.]METRIC[@CLIENT_REGION] CMP VALUE"

// Conditions an assertion can fail on before it is evaluated. Every error of
// Parse and Source.Check is an *Error wrapping one of them.
var (
	// ErrSyntax: the expression does not follow Grammar, or a bound is
	// not a value of its metric's unit.
	ErrSyntax = errors.New("malformed")
	// ErrUnknownName: the expression names a table, op or client region
	// that the run does not have.
	ErrUnknownName = errors.New("no such name")
	// ErrNotMeasured: the command's output does not keep the metric at
	// the asked granularity (a sweep keeps no per-op latency, say).
	ErrNotMeasured = errors.New("not measured")
	// ErrNoMatch: the names exist, but no measured figure has all of them
	// (a table without requests of that op, say).
	ErrNoMatch = errors.New("selects nothing")
)

// Error is an assertion that cannot be evaluated: Expr is the expression
// as given, Err wraps one of ErrSyntax, ErrUnknownName, ErrNotMeasured or
// ErrNoMatch with the detail.
type Error struct {
	Expr string
	Err  error
}

func (e *Error) Error() string { return fmt.Sprintf("assertion %q: %v", e.Expr, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// Metric is what an assertion measures; its Unit is the unit of the
// assertion's bound and of the measured value.
type Metric int

// The metrics.
const (
	P50 Metric = iota
	P90
	P99
	P999
	Max
	Mean
	Errors
	Requests
	ErrorRate
	Unavailable
	// StalenessP50 and StalenessP99 are the staleness served to stale and
	// bounded reads (Stat.Staleness), in seconds.
	StalenessP50
	StalenessP99
	// AppP50 and AppP99 are the application latency of a workload with an
	// application tier (Stat.App), in milliseconds.
	AppP50
	AppP99
	// ContentionMean and ContentionP99 are the wait of keyed requests for
	// their row (Stat.Contention), in milliseconds.
	ContentionMean
	ContentionP99
	numMetrics
)

var metricNames = [numMetrics]string{"p50", "p90", "p99", "p999", "max", "mean", "errors", "requests", "error_rate", "unavailable",
	"staleness_p50", "staleness_p99", "app_p50", "app_p99", "contention_mean", "contention_p99"}

// metricAliases are other spellings Parse takes.
var metricAliases = map[string]Metric{"count": Requests}

// String returns the metric's name in the grammar.
func (m Metric) String() string {
	if m >= 0 && m < numMetrics {
		return metricNames[m]
	}
	return fmt.Sprintf("Metric(%d)", int(m))
}

// Latency reports whether m is a latency (p50 … mean).
func (m Metric) Latency() bool { return m >= P50 && m <= Mean }

// Staleness reports whether m is a staleness percentile.
func (m Metric) Staleness() bool { return m == StalenessP50 || m == StalenessP99 }

// App reports whether m is an application latency percentile.
func (m Metric) App() bool { return m == AppP50 || m == AppP99 }

// Contention reports whether m is a contention wait figure.
func (m Metric) Contention() bool { return m == ContentionMean || m == ContentionP99 }

// Unit is the unit of a metric's values.
type Unit string

// The units. Latencies are in milliseconds like Result's, unavailability in
// seconds, error rates as a fraction in [0, 1].
const (
	Milliseconds Unit = "ms"
	Seconds      Unit = "s"
	Count        Unit = "count"
	Ratio        Unit = "ratio"
)

// Unit returns the unit of m's values.
func (m Metric) Unit() Unit {
	switch {
	case m.Latency(), m.App(), m.Contention():
		return Milliseconds
	case m == Unavailable, m.Staleness():
		return Seconds
	case m == ErrorRate:
		return Ratio
	}
	return Count
}

// Cmp is an assertion's comparison: measured Cmp bound must hold.
type Cmp int

// The comparisons.
const (
	Less Cmp = iota
	LessEq
	Greater
	GreaterEq
	Equal
	NotEqual
)

// cmpTokens are the comparisons' spellings, two-character ones first so
// that Parse matches the longest.
var cmpTokens = []struct {
	tok string
	cmp Cmp
}{{"<=", LessEq}, {">=", GreaterEq}, {"==", Equal}, {"!=", NotEqual}, {"<", Less}, {">", Greater}}

// String returns the comparison's spelling.
func (c Cmp) String() string {
	for _, t := range cmpTokens {
		if t.cmp == c {
			return t.tok
		}
	}
	return fmt.Sprintf("Cmp(%d)", int(c))
}

// Holds reports whether measured c bound holds.
func (c Cmp) Holds(measured, bound float64) bool {
	switch c {
	case Less:
		return measured < bound
	case LessEq:
		return measured <= bound
	case Greater:
		return measured > bound
	case GreaterEq:
		return measured >= bound
	case Equal:
		return measured == bound
	case NotEqual:
		return measured != bound
	}
	panic(fmt.Sprintf("slo: unknown comparison %d", int(c)))
}

// badness orders measured values for c: the larger, the closer to failing
// (or the further past it). "Holds for every value" is "holds for the one
// of greatest badness", so the worst value decides and is the one to
// report: the largest for < and <=, the smallest for > and >=, the
// furthest from bound for ==, the nearest for !=.
func (c Cmp) badness(measured, bound float64) float64 {
	switch c {
	case Less, LessEq:
		return measured
	case Greater, GreaterEq:
		return -measured
	case Equal:
		return math.Abs(measured - bound)
	case NotEqual:
		return -math.Abs(measured - bound)
	}
	panic(fmt.Sprintf("slo: unknown comparison %d", int(c)))
}

// Assertion is one parsed --assert expression.
type Assertion struct {
	// Expr is the expression as given, surrounding space trimmed.
	Expr string
	// Table, Op and Region select the figures: a table name, an op name
	// (raft.ParseOp spelling) and a client region; "" selects every one.
	Table, Op, Region string
	Metric            Metric
	Cmp               Cmp
	// Bound is the value measured figures are compared with, in
	// Metric.Unit(): milliseconds, seconds, a count or a fraction.
	Bound float64
}

// String returns a.Expr.
func (a Assertion) String() string { return a.Expr }

// Holds reports whether measured (in a.Metric.Unit()) satisfies a.
func (a Assertion) Holds(measured float64) bool { return a.Cmp.Holds(measured, a.Bound) }

// Parse parses one assertion written as Grammar: a selector, a comparison
// and a bound, with optional spaces around the comparison. Every error is
// an *Error wrapping ErrSyntax, or ErrUnknownName for an op that is not one
// of raft.Ops; table and region names are checked against a Scope later
// (Assertion.Check).
func Parse(expr string) (Assertion, error) {
	expr = strings.TrimSpace(expr)
	a := Assertion{Expr: expr}
	if err := a.parse(); err != nil {
		return Assertion{}, &Error{Expr: expr, Err: err}
	}
	return a, nil
}

// ParseAll parses every expression; the error joins those of the
// malformed ones.
func ParseAll(exprs []string) ([]Assertion, error) {
	var out []Assertion
	var errs []error
	for _, e := range exprs {
		a, err := Parse(e)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, a)
	}
	return out, errors.Join(errs...)
}

func syntaxf(format string, args ...any) error {
	return fmt.Errorf("%w: %s; want %s", ErrSyntax, fmt.Sprintf(format, args...), Grammar)
}

func (a *Assertion) parse() error {
	if a.Expr == "" {
		return syntaxf("empty")
	}
	i := strings.IndexAny(a.Expr, "<>=!")
	if i < 0 {
		return syntaxf("no comparison (one of < <= > >= == !=)")
	}
	selector, rest := strings.TrimSpace(a.Expr[:i]), a.Expr[i:]
	tok := ""
	for _, t := range cmpTokens {
		if strings.HasPrefix(rest, t.tok) {
			tok, a.Cmp = t.tok, t.cmp
			break
		}
	}
	switch {
	case tok == "" && rest[0] == '=':
		return syntaxf("%q is not a comparison (equality is ==)", "=")
	case tok == "":
		return syntaxf("%q is not a comparison (one of < <= > >= == !=)", rest[:1])
	}
	value := strings.TrimSpace(rest[len(tok):])
	switch {
	case selector == "":
		return syntaxf("nothing to measure before %q", tok)
	case value == "":
		return syntaxf("no value after %q", tok)
	case strings.ContainsAny(value[:1], "<>=!"):
		return syntaxf("two comparisons in a row (%q)", tok+value[:1])
	}
	if err := a.parseSelector(selector); err != nil {
		return err
	}
	b, err := parseBound(a.Metric, value)
	if err != nil {
		return err
	}
	a.Bound = b
	return nil
}

// parseSelector parses [TABLE.OP.]METRIC[@CLIENT_REGION].
func (a *Assertion) parseSelector(sel string) error {
	if strings.ContainsAny(sel, " \t") {
		return syntaxf("space inside %q", sel)
	}
	if at := strings.IndexByte(sel, '@'); at >= 0 {
		region := sel[at+1:]
		sel = sel[:at]
		switch {
		case region == "":
			return syntaxf("no client region after @")
		case strings.Contains(region, "@"):
			return syntaxf("client region %q", region)
		case region != "*":
			a.Region = region
		}
	}
	parts := strings.Split(sel, ".")
	name := parts[len(parts)-1]
	switch len(parts) {
	case 1:
	case 3:
		for i, p := range parts[:2] {
			if p == "" {
				return syntaxf("empty %s in %q (* means every)", []string{"table", "op"}[i], sel)
			}
		}
		if parts[0] != "*" {
			a.Table = parts[0]
		}
		if parts[1] != "*" {
			if _, err := raft.ParseOp(parts[1]); err != nil {
				return fmt.Errorf("%w: op %q (ops: %s)", ErrUnknownName, parts[1], strings.Join(opNames(), ", "))
			}
			a.Op = parts[1]
		}
	default:
		hint := ""
		if strings.HasSuffix(sel, "p99.9") {
			hint = " (p99.9 is written p999)"
		}
		return syntaxf("%q has %d dot-separated parts%s, not METRIC or TABLE.OP.METRIC (* for every table or op: users.*.p99)",
			sel, len(parts), hint)
	}
	m, ok := metricAliases[name]
	if !ok {
		m = -1
		for i, n := range metricNames {
			if n == name {
				m = Metric(i)
			}
		}
	}
	if m < 0 {
		return syntaxf("unknown metric %q (metrics: %s, count)", name, strings.Join(metricNames[:], ", "))
	}
	a.Metric = m
	return nil
}

// opNames returns raft's op names in order.
func opNames() []string {
	var out []string
	for _, op := range raft.Ops() {
		out = append(out, op.String())
	}
	return out
}

// number matches a plain non-negative decimal: no sign, no hex, no Inf or
// NaN, no digit separators.
var number = regexp.MustCompile(`^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$`)

// durationUnits are the units of duration bounds, in seconds; "ms" and
// "us" before "s" so the longest suffix matches.
var durationUnits = []struct {
	suffix  string
	seconds float64
}{{"ns", 1e-9}, {"us", 1e-6}, {"µs", 1e-6}, {"ms", 1e-3}, {"s", 1}, {"m", 60}}

// parseBound parses value as a bound of metric m, in m.Unit().
func parseBound(m Metric, value string) (float64, error) {
	switch m.Unit() {
	case Milliseconds, Seconds:
		num, scale := "", 0.0
		for _, u := range durationUnits {
			if strings.HasSuffix(value, u.suffix) {
				num, scale = strings.TrimSpace(strings.TrimSuffix(value, u.suffix)), u.seconds
				break
			}
		}
		if scale == 0 && number.MatchString(value) {
			return 0, syntaxf("%s needs a unit: %s%s or %ss", m, value, "ms", value)
		}
		f, ok := parseNumber(num)
		if scale == 0 || !ok {
			return 0, syntaxf("%s bound %q is not a duration (a number and a unit ns, us, ms, s or m: 150ms, 1.5s)", m, value)
		}
		if m.Unit() == Milliseconds {
			return f * scale * 1e3, nil
		}
		return f * scale, nil
	case Ratio:
		num, pct := strings.CutSuffix(value, "%")
		f, ok := parseNumber(strings.TrimSpace(num))
		switch {
		case !ok:
			return 0, syntaxf("%s bound %q is not a fraction or a percentage (0.001 or 0.1%%)", m, value)
		case pct && f > 100:
			return 0, syntaxf("%s bound %q is over 100%%", m, value)
		case pct:
			return f / 100, nil
		case f > 1:
			return 0, syntaxf("%s bound %q is over 1 (a fraction: 0.01, or a percentage: %s%%)", m, value, value)
		}
		return f, nil
	}
	f, ok := parseNumber(value)
	if !ok {
		return 0, syntaxf("%s bound %q is not a plain number >= 0 (a count: 0, 10)", m, value)
	}
	return f, nil
}

// parseNumber parses a plain non-negative finite decimal.
func parseNumber(s string) (float64, bool) {
	if !number.MatchString(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil && !math.IsInf(f, 0)
}
