package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/scenarios/slo"
)

// assertHelp documents --assert for run and compare.
const assertHelp = `Assertions (--assert EXPR, repeatable) make the command a CI check. After
the normal output, each assertion is printed on stderr, ok or FAIL, with
the worst measured value and where it was; the exit status is 3 if any
failed. EXPR is

  [TABLE.OP.]METRIC[@CLIENT_REGION] CMP VALUE

CMP is one of < <= > >= == !=. TABLE and OP may be * or left out (both
together), meaning every table and op; without @CLIENT_REGION every client
region counts. The assertion must hold for every table x op x client
region it selects, in every run (compare: under each survival goal), so
the worst one decides. METRIC and VALUE:

  p50 p90 p99 p999 max mean  latency; a duration with its unit
                             (ns, us, ms, s or m): 150ms, 1.5s
  errors, requests (count)   a plain number: 0, 1000
  error_rate                 errors / requests: a fraction (0.001) or a
                             percentage (0.1%)
  unavailable                the longest a client saw no successful
                             response during a fault (0 without faults);
                             a duration with its unit: 15s

For now unavailable is an upper bound: a table's worst range outage during
the fault, counted for every op and client region of the table.

Examples: --assert 'users.write.p99<150ms' --assert 'errors==0'
  --assert 'accounts.read.p50@us-west1<5ms' --assert 'unavailable<15s'

A malformed assertion exits 2 before anything runs, and so does one naming
a table, op or client region the scenario has no requests for.`

// sweepAssertHelp documents --assert for sweep.
const sweepAssertHelp = `Assertions (--assert EXPR, repeatable) make the sweep a CI check. After the
normal output, each assertion is printed on stderr, ok or FAIL, with the
worst measured value and the client, survival goal and fault it was under;
the exit status is 3 if any failed. EXPR is

  [TABLE.OP.]METRIC[@CLIENT_REGION] CMP VALUE

as for 'regionsim run' (CMP one of < <= > >= == !=; * or nothing for
every), checked against every fault x survival goal x client (table, op,
client region) of the sweep, over all the seeds, so the worst one decides.
METRIC and VALUE:

  errors, requests (count)   summed over the seeds: 0, 1000
  error_rate                 errors / requests: 0.001 or 0.1%
  unavailable                the longest stall in any seed; a duration: 15s
  p50, p99                   requests issued after failover; a duration

Examples: --assert 'unavailable<15s' --assert 'users.*.unavailable<10s'
  --assert '*.write.p99@us-east1<1s'

A malformed assertion exits 2 before anything runs, and so does one the
sweep cannot answer (another latency, an unknown table, op or region).`

// assertFlag is --assert, repeatable. Each expression is parsed when the
// flag is, so a malformed one stops the command (exit 2) before anything
// runs.
type assertFlag []slo.Assertion

func (a *assertFlag) String() string {
	var exprs []string
	for _, x := range *a {
		exprs = append(exprs, x.Expr)
	}
	return strings.Join(exprs, ", ")
}

// Set parses one expression. pflag names the flag and the expression
// around the error, so the error is only the detail.
func (a *assertFlag) Set(expr string) error {
	x, err := slo.Parse(expr)
	var se *slo.Error
	if errors.As(err, &se) {
		return se.Err
	}
	if err != nil {
		return err
	}
	*a = append(*a, x)
	return nil
}

func (a *assertFlag) Type() string { return "EXPR" }

// assertFailed is the error of a command whose assertions were evaluated
// and some did not hold: exit status 3.
type assertFailed struct{ failed, total int }

func (e assertFailed) Error() string {
	return fmt.Sprintf("%d of %d assertions failed", e.failed, e.total)
}

// checkAssertScope refuses (exit 2), before anything runs, an assertion
// the runs of s cannot answer: a name s does not have, or a metric the
// command does not keep.
func (f *runFlags) checkAssertScope(s *scenarios.Scenario, command string) error {
	sc := slo.ScenarioScope(s, command, f.afterFailover)
	var errs []error
	for _, a := range f.asserts {
		errs = append(errs, a.Check(sc))
	}
	return badInput(errors.Join(errs...))
}

// evalAsserts checks every assertion against src and prints one line per
// assertion to stderr. An assertion src cannot answer is bad input (exit
// 2); otherwise a failed one gives assertFailed (exit 3).
func (f *runFlags) evalAsserts(stderr io.Writer, src *slo.Source) error {
	var errs []error
	failed := 0
	for _, a := range f.asserts {
		o, err := src.Check(a)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintln(stderr, o)
		if !o.OK {
			failed++
		}
	}
	if len(errs) > 0 {
		return badInput(errors.Join(errs...))
	}
	if failed > 0 {
		return assertFailed{failed, len(f.asserts)}
	}
	return nil
}
