package slo

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/regionsim/regionsim/raft"
	"github.com/regionsim/regionsim/scenarios"
)

// Scope is what a source of figures can answer: the names assertions may
// select, and how fine its figures are.
type Scope struct {
	// Command names the source in messages ("run", "compare", "sweep").
	Command string
	// Tables, Ops and Regions are the tables, ops and client regions that
	// have figures, and Clients the table × op × client region
	// combinations that do.
	Tables, Ops, Regions []string
	Clients              []Client
	// AfterFailover is a sweep's latencies: it keeps per fault × survival
	// goal × client only p50 and p99, of the requests issued after
	// failover (SweepClient.After).
	AfterFailover bool
}

// Client is one table × op × client region.
type Client struct{ Table, Op, Region string }

// ScenarioScope returns the scope a run of the validated scenario s will
// have at most (its tables; the ops of its workload with a positive share,
// its client regions and their combinations), so that a misspelt name, or
// a table × op × client region no workload sends, is caught before
// anything runs; afterFailover is for a sweep (see Scope.AfterFailover).
func ScenarioScope(s *scenarios.Scenario, command string, afterFailover bool) Scope {
	sc := Scope{Command: command, AfterFailover: afterFailover}
	for _, t := range s.Tables {
		sc.Tables = appendNew(sc.Tables, t.Name)
	}
	var ops []raft.Op
	for _, w := range s.Workload {
		for _, o := range w.OpShares() {
			if !slices.Contains(ops, o.Op) {
				ops = append(ops, o.Op)
			}
			sc.Clients = appendNew(sc.Clients, Client{w.Table, o.Op.String(), w.Region})
		}
		sc.Regions = appendNew(sc.Regions, w.Region)
	}
	slices.Sort(ops)
	for _, op := range ops {
		sc.Ops = append(sc.Ops, op.String())
	}
	if c := s.Cluster(); c != nil {
		slices.SortStableFunc(sc.Regions, func(a, b string) int { return c.RegionIndex(a) - c.RegionIndex(b) })
	}
	return sc
}

// Check reports whether sc can answer a: the names a selects exist in
// sc, some client has them all, and the metric is kept at the granularity
// a asks for. The error is an *Error wrapping ErrUnknownName,
// ErrNotMeasured or ErrNoMatch.
func (a Assertion) Check(sc Scope) error {
	if err := a.check(sc); err != nil {
		return &Error{Expr: a.Expr, Err: err}
	}
	return nil
}

func (a Assertion) check(sc Scope) error {
	if a.Table != "" && !slices.Contains(sc.Tables, a.Table) {
		return fmt.Errorf("%w: table %q (tables: %s)", ErrUnknownName, a.Table, list(sc.Tables))
	}
	if sc.AfterFailover && a.Metric.Latency() && a.Metric != P50 && a.Metric != P99 {
		return fmt.Errorf("%w: %s keeps no %s, only p50 and p99 of the requests after failover", ErrNotMeasured, sc.Command, a.Metric)
	}
	if sc.AfterFailover && (a.Metric.Staleness() || a.Metric.App() || a.Metric.Contention()) {
		return fmt.Errorf("%w: %s keeps no %s", ErrNotMeasured, sc.Command, a.Metric)
	}
	if a.Metric.Staleness() && a.Op != "" && a.Op != raft.OpStaleRead.String() && a.Op != raft.OpBoundedRead.String() {
		return fmt.Errorf("%w: %s is measured for stale_read and bounded_read only, not %s", ErrNotMeasured, a.Metric, a.Op)
	}
	if a.Op != "" && !slices.Contains(sc.Ops, a.Op) {
		return fmt.Errorf("%w: op %q has no requests (ops: %s)", ErrUnknownName, a.Op, list(sc.Ops))
	}
	if a.Region != "" && !slices.Contains(sc.Regions, a.Region) {
		return fmt.Errorf("%w: client region %q (client regions: %s)", ErrUnknownName, a.Region, list(sc.Regions))
	}
	if !slices.ContainsFunc(sc.Clients, func(c Client) bool {
		return (a.Table == "" || a.Table == c.Table) && (a.Op == "" || a.Op == c.Op) && (a.Region == "" || a.Region == c.Region)
	}) {
		return fmt.Errorf("%w: no requests for %s", ErrNoMatch, a.selection())
	}
	return nil
}

func list(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func appendNew[T comparable](names []T, n T) []T {
	if slices.Contains(names, n) {
		return names
	}
	return append(names, n)
}

// Where locates a measured figure. Run and compare figures have Table, Op
// and ClientRegion; sweep figures have Locality and Tables instead.
// Survival is the run's survival goal ("" or "none" for a database without
// one); Fault the fault of a sweep case, or of an unavailable figure.
type Where struct {
	Table        string   `json:"table,omitempty"`
	Op           string   `json:"op,omitempty"`
	ClientRegion string   `json:"client_region,omitempty"`
	Locality     string   `json:"locality,omitempty"`
	Tables       []string `json:"tables,omitempty"`
	Survival     string   `json:"survival,omitempty"`
	Fault        string   `json:"fault,omitempty"`
}

// String is "accounts write @us-east1, zone survival[, fault F]" or, for a
// sweep figure, "regional-by-table (accounts), zone survival, fault F".
func (w Where) String() string {
	var parts []string
	switch {
	case w.Locality != "":
		parts = append(parts, w.Locality+" ("+strings.Join(w.Tables, ", ")+")")
	case w.Table != "":
		parts = append(parts, w.Table+" "+w.Op+" @"+w.ClientRegion)
	}
	if w.Survival != "" && w.Survival != "none" {
		parts = append(parts, w.Survival+" survival")
	}
	if w.Fault != "" {
		parts = append(parts, "fault "+w.Fault)
	}
	return strings.Join(parts, ", ")
}

// figure is one selectable set of measurements: a Stat of a run, or a
// locality of a sweep case.
type figure struct {
	// tables are the tables it covers; op and region are "" for a sweep
	// locality (every op and client region).
	tables     []string
	op, region string
	where      Where
	v          [numMetrics]float64
	has        [numMetrics]bool
	// unavailFault is the fault behind v[Unavailable] ("" for none);
	// where.Fault shows it when the metric is Unavailable.
	unavailFault string
}

// Source holds the figures assertions are checked against; FromResult,
// FromComparison and FromSweep build one. It is read-only once built.
type Source struct {
	scope   Scope
	figures []figure
}

// Scope returns the names and granularity of s's figures.
func (s *Source) Scope() Scope { return s.scope }

// FromResult returns the figures of one run: one per Stat (in r.Stats
// order), with every metric it has (staleness only for stale and bounded
// reads, app latency only with an application tier); unavailable is the
// longest of r.ClientUnavailable over the run's faults (0 without faults).
func FromResult(r *scenarios.Result) *Source {
	s := &Source{scope: Scope{Command: "run"}}
	s.addResult(r)
	return s
}

// FromComparison returns the figures of every run of c, run by run; each
// names its run's survival goal.
func FromComparison(c *scenarios.Comparison) *Source {
	s := &Source{scope: Scope{Command: "compare"}}
	for i := range c.Runs {
		s.addResult(&c.Runs[i])
	}
	return s
}

// FromRuns returns the figures of every run of runs (the seeds of run or
// compare --seeds), run by run, for command ("run" or "compare"): an
// assertion holds only if it holds in every run.
func FromRuns(command string, runs []*scenarios.Result) *Source {
	s := &Source{scope: Scope{Command: command}}
	for _, r := range runs {
		s.addResult(r)
	}
	return s
}

func (s *Source) addResult(r *scenarios.Result) {
	for _, t := range r.Tables {
		s.scope.Tables = appendNew(s.scope.Tables, t.Name)
	}
	type key struct{ table, op, region string }
	type outage struct {
		seconds float64
		fault   string
	}
	worst := map[key]outage{}
	for _, u := range r.ClientUnavailable() {
		k := key{u.Table, u.Op, u.ClientRegion}
		if u.Seconds > worst[k].seconds {
			worst[k] = outage{u.Seconds, u.Fault}
		}
	}
	for _, st := range r.Stats {
		s.scope.Tables = appendNew(s.scope.Tables, st.Table)
		s.scope.Ops = appendNew(s.scope.Ops, st.Op)
		s.scope.Regions = appendNew(s.scope.Regions, st.ClientRegion)
		s.scope.Clients = appendNew(s.scope.Clients, Client{st.Table, st.Op, st.ClientRegion})
		f := figure{
			tables: []string{st.Table}, op: st.Op, region: st.ClientRegion,
			where: Where{Table: st.Table, Op: st.Op, ClientRegion: st.ClientRegion, Survival: r.Survival},
		}
		f.v[P50], f.v[P90], f.v[P99], f.v[P999] = st.P50Ms, st.P90Ms, st.P99Ms, st.P999Ms
		f.v[Max], f.v[Mean] = st.MaxMs, st.MeanMs
		f.v[Errors], f.v[Requests] = float64(st.Errors), float64(st.Count)
		if st.Count > 0 {
			f.v[ErrorRate] = float64(st.Errors) / float64(st.Count)
		}
		o := worst[key{st.Table, st.Op, st.ClientRegion}]
		f.v[Unavailable], f.unavailFault = o.seconds, o.fault
		for m := range f.has {
			f.has[m] = !Metric(m).Staleness() && !Metric(m).App() && !Metric(m).Contention()
		}
		if z := st.Staleness; z != nil {
			f.v[StalenessP50], f.v[StalenessP99] = z.P50S, z.P99S
			f.has[StalenessP50], f.has[StalenessP99] = true, true
		}
		if a := st.App; a != nil {
			f.v[AppP50], f.v[AppP99] = a.P50Ms, a.P99Ms
			f.has[AppP50], f.has[AppP99] = true, true
		}
		if c := st.Contention; c != nil {
			f.v[ContentionMean], f.v[ContentionP99] = c.MeanMs, c.P99Ms
			f.has[ContentionMean], f.has[ContentionP99] = true, true
		}
		s.figures = append(s.figures, f)
	}
	// Names in raft's op order and the topology's region order, for
	// messages.
	slices.SortStableFunc(s.scope.Ops, func(a, b string) int { return opRank(a) - opRank(b) })
	slices.SortStableFunc(s.scope.Regions, func(a, b string) int {
		return rank(r.Regions, a) - rank(r.Regions, b)
	})
}

// opRank is op's index in raft.Ops, or past them for an unknown name.
func opRank(op string) int {
	o, err := raft.ParseOp(op)
	if err != nil {
		return len(raft.Ops())
	}
	return int(o)
}

// rank is name's index in names, or past them.
func rank(names []string, name string) int {
	if i := slices.Index(names, name); i >= 0 {
		return i
	}
	return len(names)
}

// FromSweep returns the figures of a sweep: one per case × table × op ×
// client region (in sr.Cases order), over every seed of the case: errors
// and requests summed, error_rate their ratio, unavailable the longest
// stall in any seed (SweepClient.Unavailable.Max), p50 and p99 those of
// the requests after failover, pooled (only where some were measured).
// Its Scope is AfterFailover.
func FromSweep(sr *scenarios.SweepResult) *Source {
	s := &Source{scope: Scope{Command: "sweep", AfterFailover: true}}
	for _, c := range sr.Cases {
		for _, cl := range c.Clients {
			s.scope.Tables = appendNew(s.scope.Tables, cl.Table)
			s.scope.Ops = appendNew(s.scope.Ops, cl.Op)
			s.scope.Regions = appendNew(s.scope.Regions, cl.ClientRegion)
			s.scope.Clients = appendNew(s.scope.Clients, Client{cl.Table, cl.Op, cl.ClientRegion})
			f := figure{
				tables: []string{cl.Table}, op: cl.Op, region: cl.ClientRegion,
				where: Where{Table: cl.Table, Op: cl.Op, ClientRegion: cl.ClientRegion, Survival: c.Survival,
					Fault: c.Name},
				unavailFault: c.Name,
			}
			f.v[Errors], f.v[Requests] = float64(cl.Errors), float64(cl.Requests)
			if cl.Requests > 0 {
				f.v[ErrorRate] = float64(cl.Errors) / float64(cl.Requests)
			}
			f.v[Unavailable] = cl.Unavailable.Max
			f.has[Errors], f.has[Requests], f.has[ErrorRate], f.has[Unavailable] = true, true, true, true
			if cl.After.Count > 0 {
				f.v[P50], f.v[P99] = cl.After.P50Ms, cl.After.P99Ms
				f.has[P50], f.has[P99] = true, true
			}
			s.figures = append(s.figures, f)
		}
	}
	slices.SortStableFunc(s.scope.Ops, func(a, b string) int { return opRank(a) - opRank(b) })
	return s
}

// Outcome is an assertion checked against a Source: whether it held for
// every figure it selects, and the worst of them (the one that decides).
type Outcome struct {
	Expr string `json:"expr"`
	OK   bool   `json:"ok"`
	// Measured is the worst selected figure's value in Unit: the largest
	// for < and <=, the smallest for > and >=, the furthest from the bound
	// for ==, the nearest for != (the first of equals, in source order).
	Measured float64 `json:"measured"`
	Unit     Unit    `json:"unit"`
	// Where locates the worst figure; Matched counts the selected figures.
	Where   Where `json:"where"`
	Matched int   `json:"matched"`
}

// String is one report line: "assert EXPR: ok measured 4.76ms (worst of
// 9: accounts write @us-east1, zone survival)", FAIL when it did not hold.
func (o Outcome) String() string {
	verdict := "ok"
	if !o.OK {
		verdict = "FAIL"
	}
	where := o.Where.String()
	if o.Matched > 1 {
		where = fmt.Sprintf("worst of %d: %s", o.Matched, where)
	}
	return fmt.Sprintf("assert %s: %s measured %s (%s)", o.Expr, verdict, FormatValue(o.Measured, o.Unit), where)
}

// FormatValue writes v in unit u as the report lines do: milliseconds with
// two decimals below 10 ms, one below 1 s, else seconds with two; seconds
// with two decimals; counts as integers (or shortest decimals); ratios as
// percentages to three significant digits.
func FormatValue(v float64, u Unit) string {
	switch u {
	case Milliseconds:
		switch {
		case v < 10:
			return strconv.FormatFloat(v, 'f', 2, 64) + "ms"
		case v < 1000:
			return strconv.FormatFloat(v, 'f', 1, 64) + "ms"
		}
		return strconv.FormatFloat(v/1000, 'f', 2, 64) + "s"
	case Seconds:
		return strconv.FormatFloat(v, 'f', 2, 64) + "s"
	case Ratio:
		return strconv.FormatFloat(v*100, 'g', 3, 64) + "%"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// Check evaluates a against s: a must hold for every figure it selects
// (every table, op and client region it names or leaves open, in every
// run or sweep case), so the worst figure decides. The error is an *Error
// wrapping ErrUnknownName or ErrNotMeasured (see Assertion.Check), or
// ErrNoMatch when no figure has a's table, op and client region together.
// O(figures).
func (s *Source) Check(a Assertion) (Outcome, error) {
	if err := a.Check(s.scope); err != nil {
		return Outcome{}, err
	}
	o := Outcome{Expr: a.Expr, Unit: a.Metric.Unit()}
	var worst *figure
	worstBad := 0.0
	for i := range s.figures {
		f := &s.figures[i]
		if !f.selectedBy(a) || !f.has[a.Metric] {
			continue
		}
		o.Matched++
		if bad := a.Cmp.badness(f.v[a.Metric], a.Bound); worst == nil || bad > worstBad {
			worst, worstBad = f, bad
		}
	}
	if worst == nil {
		return Outcome{}, &Error{Expr: a.Expr, Err: fmt.Errorf("%w: no %s measured for %s", ErrNoMatch, a.Metric, a.selection())}
	}
	o.Measured = worst.v[a.Metric]
	o.OK = a.Holds(o.Measured)
	o.Where = worst.where
	if a.Metric == Unavailable {
		o.Where.Fault = worst.unavailFault
	}
	return o, nil
}

// selectedBy reports whether a selects f. In a per-locality source the op
// is not matched (Check allows only write latencies, kept per locality).
func (f *figure) selectedBy(a Assertion) bool {
	if a.Table != "" && !slices.Contains(f.tables, a.Table) {
		return false
	}
	return (a.Op == "" || a.Op == f.op) && (a.Region == "" || a.Region == f.region)
}

// selection describes what a selects, for messages: "table accounts, op
// insert, client region *".
func (a Assertion) selection() string {
	or := func(s, every string) string {
		if s == "" {
			return every
		}
		return s
	}
	return fmt.Sprintf("table %s, op %s, client region %s",
		or(a.Table, "*"), or(a.Op, "*"), or(a.Region, "*"))
}
