package datadriven

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected outputs of data-driven test files")

// rewriting reports whether expected outputs should be rewritten, as asked
// by the -rewrite flag or by DATADRIVEN_REWRITE=1 in the environment.
func rewriting() bool {
	return *rewrite || os.Getenv("DATADRIVEN_REWRITE") == "1"
}

// TestData is one directive of a test file.
type TestData struct {
	// Pos is the "file:line" of the command, for error messages.
	Pos string
	// Cmd is the command name, the first word of the command line.
	Cmd string
	// CmdArgs are the arguments following the command name, in order.
	CmdArgs []CmdArg
	// Input is the lines between the command and "----", joined with "\n".
	Input string
	// Expected is the expected output; it ends with a newline unless empty.
	Expected string
}

// CmdArg is one argument of a command: a bare key, which has no values, or
// a key with one or more values.
type CmdArg struct {
	Key  string
	Vals []string
}

// String renders the argument as it could appear on a command line.
func (a CmdArg) String() string {
	switch {
	case a.Vals == nil:
		return a.Key
	case len(a.Vals) == 1:
		return a.Key + "=" + a.Vals[0]
	default:
		return a.Key + "=(" + strings.Join(a.Vals, ", ") + ")"
	}
}

// command renders the command line of d.
func (d *TestData) command() string {
	parts := []string{d.Cmd}
	for _, a := range d.CmdArgs {
		parts = append(parts, a.String())
	}
	return strings.Join(parts, " ")
}

// HasArg reports whether the command has an argument with the given key.
func (d *TestData) HasArg(key string) bool {
	_, ok := d.Arg(key)
	return ok
}

// Arg returns the first argument with the given key and whether it exists.
func (d *TestData) Arg(key string) (CmdArg, bool) {
	for _, a := range d.CmdArgs {
		if a.Key == key {
			return a, true
		}
	}
	return CmdArg{}, false
}

// Fatalf fails the test immediately with a message prefixed by d.Pos.
func (d *TestData) Fatalf(t testing.TB, format string, args ...any) {
	t.Helper()
	t.Fatalf("%s: %s", d.Pos, fmt.Sprintf(format, args...))
}

// String returns the single value of the required argument key, failing the
// test if the argument is missing or does not have exactly one value.
func (d *TestData) String(t testing.TB, key string) string {
	t.Helper()
	a, ok := d.Arg(key)
	if !ok {
		d.Fatalf(t, "%s: missing argument %q", d.Cmd, key)
		return ""
	}
	if len(a.Vals) != 1 {
		d.Fatalf(t, "%s: argument %s: want exactly one value", d.Cmd, a)
		return ""
	}
	return a.Vals[0]
}

// StringOr returns the first value of the argument key, or def if the
// argument is absent or has no value.
func (d *TestData) StringOr(key, def string) string {
	if a, ok := d.Arg(key); ok && len(a.Vals) > 0 {
		return a.Vals[0]
	}
	return def
}

// Strings returns all values of the argument key, or nil if it is absent.
func (d *TestData) Strings(key string) []string {
	a, _ := d.Arg(key)
	return a.Vals
}

// Int returns the required argument key as an integer, failing the test if
// it is missing or malformed.
func (d *TestData) Int(t testing.TB, key string) int {
	t.Helper()
	v := d.String(t, key)
	n, err := strconv.Atoi(v)
	if err != nil {
		d.Fatalf(t, "%s: argument %s=%s: not an integer", d.Cmd, key, v)
	}
	return n
}

// IntOr returns the argument key as an integer, or def if it is absent,
// failing the test if it is present but malformed.
func (d *TestData) IntOr(t testing.TB, key string, def int) int {
	t.Helper()
	if !d.HasArg(key) {
		return def
	}
	return d.Int(t, key)
}

// Duration returns the required argument key parsed with time.ParseDuration,
// failing the test if it is missing or malformed.
func (d *TestData) Duration(t testing.TB, key string) time.Duration {
	t.Helper()
	v := d.String(t, key)
	dur, err := time.ParseDuration(v)
	if err != nil {
		d.Fatalf(t, "%s: argument %s=%s: not a duration", d.Cmd, key, v)
	}
	return dur
}

// DurationOr returns the argument key as a duration, or def if it is absent,
// failing the test if it is present but malformed.
func (d *TestData) DurationOr(t testing.TB, key string, def time.Duration) time.Duration {
	t.Helper()
	if !d.HasArg(key) {
		return def
	}
	return d.Duration(t, key)
}

// RunTest parses the file at path and calls f for each directive in order;
// f returns the actual output. Without -rewrite, an output that differs from
// the expected one fails the test with the position, the command and both
// outputs. With -rewrite, the file is instead rewritten in place with the
// actual outputs, keeping comments and commands byte for byte.
func RunTest(t *testing.T, path string, f func(t *testing.T, d *TestData) string) {
	t.Helper()
	runFile(t, path, rewriting(), func(d *TestData) string { return f(t, d) })
}

// Walk calls RunTest for every file in dir, in name order, as a subtest named
// after the file. Subdirectories and files whose names start with "." or end
// with "~" are skipped.
func Walk(t *testing.T, dir string, f func(t *testing.T, d *TestData) string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("datadriven: %v", err)
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") {
			continue
		}
		n++
		t.Run(name, func(t *testing.T) { RunTest(t, filepath.Join(dir, name), f) })
	}
	if n == 0 {
		t.Fatalf("datadriven: no test files in %s", dir)
	}
}

// runFile is RunTest with the rewrite mode passed in explicitly.
func runFile(t testing.TB, path string, doRewrite bool, f func(d *TestData) string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("datadriven: %v", err)
	}
	content := string(raw)
	dirs, err := parse(path, content)
	if err != nil {
		t.Fatalf("datadriven: %v", err)
	}
	var b strings.Builder
	last := 0
	for _, dir := range dirs {
		actual := normalize(f(dir.data))
		if !doRewrite {
			if actual != dir.data.Expected {
				t.Errorf("%s", mismatch(dir.data, actual))
			}
			continue
		}
		// Check that the output reads back as written, on its own.
		back, err := parse("", "x\n----\n"+directive{}.replacement(actual))
		if err != nil || len(back) != 1 || back[0].data.Expected != actual {
			t.Fatalf("datadriven: %s: output of %s cannot be written faithfully:\n%s", dir.data.Pos, dir.data.Cmd, actual)
		}
		b.WriteString(content[last:dir.outStart])
		b.WriteString(dir.replacement(actual))
		last = dir.outEnd
	}
	if !doRewrite {
		return
	}
	b.WriteString(content[last:])
	if b.String() == content {
		return
	}
	mode := os.FileMode(0o644)
	if info, err := os.Stat(path); err == nil {
		mode = info.Mode().Perm()
	}
	if err := os.WriteFile(path, []byte(b.String()), mode); err != nil {
		t.Fatalf("datadriven: %v", err)
	}
}

// mismatch describes an actual output that differs from the expected one.
func mismatch(d *TestData, actual string) string {
	show := func(s string) string {
		if s == "" {
			return "<empty>\n"
		}
		return s
	}
	return fmt.Sprintf("%s: output mismatch for: %s\nexpected:\n%sactual:\n%sdiff (-expected +actual):\n%s",
		d.Pos, d.command(), show(d.Expected), show(actual), lineDiff(d.Expected, actual))
}

// lineDiff returns a line diff of a and b with two lines of context around
// each change, or a note if the outputs are too large to diff.
func lineDiff(a, b string) string {
	split := func(s string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	}
	x, y := split(a), split(b)
	n, m := len(x), len(y)
	if n*m > 1<<20 {
		return "(too large to diff)\n"
	}
	// lcs[i][j] is the length of the longest common subsequence of x[i:] and y[j:].
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var ops []string
	for i, j := 0, 0; i < n || j < m; {
		switch {
		case i < n && j < m && x[i] == y[j]:
			ops = append(ops, "  "+x[i])
			i, j = i+1, j+1
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, "- "+x[i])
			i++
		default:
			ops = append(ops, "+ "+y[j])
			j++
		}
	}
	const context = 2
	keep := make([]bool, len(ops))
	for k, op := range ops {
		if op[0] != ' ' {
			for c := max(0, k-context); c <= min(len(ops)-1, k+context); c++ {
				keep[c] = true
			}
		}
	}
	var sb strings.Builder
	skipped := false
	for k, op := range ops {
		if keep[k] {
			sb.WriteString(op + "\n")
			skipped = false
		} else if !skipped {
			sb.WriteString("  ...\n")
			skipped = true
		}
	}
	return sb.String()
}
