package datadriven

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeTB records failures instead of failing the real test.
type fakeTB struct {
	testing.TB
	errors []string
	fatal  string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Errorf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// runFake runs fn on its own goroutine so that fakeTB.Fatalf can stop it.
func runFake(fn func(tb *fakeTB)) *fakeTB {
	tb := &fakeTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(tb)
	}()
	<-done
	return tb
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.txt")
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

const parseInput = `# leading comment
  # indented comment

propose a b=1 c=(x, y ,z) d= \
   e=(  ) f=2s
input line 1
  input line 2
----
out 1
out 2

# comment between directives
bare
----

dump
----
----
para 1

para 2
----
----
`

func TestParse(t *testing.T) {
	path := writeFile(t, parseInput)
	var got []*TestData
	tb := runFake(func(tb *fakeTB) {
		runFile(tb, path, false, func(d *TestData) string {
			got = append(got, d)
			return d.Expected
		})
	})
	require.Empty(t, tb.fatal)
	require.Empty(t, tb.errors)
	require.Len(t, got, 3)

	d := got[0]
	assert.Equal(t, path+":4", d.Pos)
	assert.Equal(t, "propose", d.Cmd)
	assert.Equal(t, []CmdArg{
		{Key: "a"},
		{Key: "b", Vals: []string{"1"}},
		{Key: "c", Vals: []string{"x", "y", "z"}},
		{Key: "d", Vals: []string{""}},
		{Key: "e", Vals: []string{}},
		{Key: "f", Vals: []string{"2s"}},
	}, d.CmdArgs)
	assert.Equal(t, "input line 1\n  input line 2", d.Input)
	assert.Equal(t, "out 1\nout 2\n", d.Expected)
	assert.Equal(t, "propose a b=1 c=(x, y, z) d= e=() f=2s", d.command())

	assert.Equal(t, path+":13", got[1].Pos)
	assert.Equal(t, "bare", got[1].Cmd)
	assert.Nil(t, got[1].CmdArgs)
	assert.Empty(t, got[1].Input)
	assert.Empty(t, got[1].Expected)

	assert.Equal(t, path+":16", got[2].Pos)
	assert.Equal(t, "dump", got[2].Cmd)
	assert.Equal(t, "para 1\n\npara 2\n", got[2].Expected)
}

func TestArgs(t *testing.T) {
	_, args, err := parseCommand("cmd n=7 bad=x7 d=150ms list=(a, b) flag empty=")
	require.NoError(t, err)
	d := &TestData{Pos: "f.txt:3", Cmd: "cmd", CmdArgs: args}

	tb := runFake(func(tb *fakeTB) {
		assert.True(t, d.HasArg("flag"))
		assert.False(t, d.HasArg("nope"))
		a, ok := d.Arg("list")
		assert.True(t, ok)
		assert.Equal(t, "list=(a, b)", a.String())
		assert.Equal(t, "7", d.String(tb, "n"))
		assert.Equal(t, "", d.String(tb, "empty"))
		assert.Equal(t, "a", d.StringOr("list", "z"))
		assert.Equal(t, "z", d.StringOr("flag", "z"))
		assert.Equal(t, "z", d.StringOr("nope", "z"))
		assert.Equal(t, 7, d.Int(tb, "n"))
		assert.Equal(t, 7, d.IntOr(tb, "n", 3))
		assert.Equal(t, 3, d.IntOr(tb, "nope", 3))
		assert.Equal(t, 150*time.Millisecond, d.Duration(tb, "d"))
		assert.Equal(t, time.Second, d.DurationOr(tb, "nope", time.Second))
		assert.Equal(t, []string{"a", "b"}, d.Strings("list"))
		assert.Nil(t, d.Strings("nope"))
		assert.Nil(t, d.Strings("flag"))
	})
	require.Empty(t, tb.fatal)

	for name, tc := range map[string]struct {
		fn   func(tb *fakeTB)
		want []string
	}{
		"missing":      {func(tb *fakeTB) { d.String(tb, "nope") }, []string{"f.txt:3", `"nope"`}},
		"multi":        {func(tb *fakeTB) { d.String(tb, "list") }, []string{"f.txt:3", "list=(a, b)"}},
		"bare":         {func(tb *fakeTB) { d.Int(tb, "flag") }, []string{"f.txt:3", "flag"}},
		"not int":      {func(tb *fakeTB) { d.IntOr(tb, "bad", 1) }, []string{"f.txt:3", "bad=x7", "integer"}},
		"not duration": {func(tb *fakeTB) { d.DurationOr(tb, "n", 0) }, []string{"f.txt:3", "n=7", "duration"}},
		"fatalf":       {func(tb *fakeTB) { d.Fatalf(tb, "boom %d", 1) }, []string{"f.txt:3: boom 1"}},
	} {
		tb := runFake(tc.fn)
		for _, w := range tc.want {
			assert.Contains(t, tb.fatal, w, name)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for name, tc := range map[string]struct{ content, want string }{
		"no separator":      {"# c\ncmd a=1\ninput\n", ":2: cmd: missing \"----\""},
		"blank before sep":  {"cmd\ninput\n\nnext\n----\n", ":1: cmd: blank line at line 3"},
		"unclosed paren":    {"\ncmd a=(x, y\n----\n", ":2: argument \"a\": unbalanced"},
		"stray close paren": {"cmd a=x)\n----\n", ":1: argument \"a\": unbalanced"},
		"nested paren":      {"cmd a=(x b=(y)\n----\n", ":1: argument \"a\": unbalanced"},
		"junk after parens": {"cmd a=(x)y\n----\n", ":1: unexpected 'y'"},
		"leading paren":     {"cmd (x)\n----\n", ":1: unexpected '('"},
		"command with =":    {"cmd=1\n----\n", ":1: command \"cmd=1\""},
		"continuation EOF":  {"ok\n----\n\ncmd \\", ":4: command continues"},
		"unclosed double":   {"ok\n----\n\ncmd\n----\n----\na\n\nb\n----\n", ":4: cmd: output opened"},
	} {
		path := writeFile(t, tc.content)
		calls := 0
		tb := runFake(func(tb *fakeTB) {
			runFile(tb, path, false, func(*TestData) string { calls++; return "" })
		})
		assert.Contains(t, tb.fatal, path+tc.want, name)
		assert.Zero(t, calls, name)
	}
}

func TestRewrite(t *testing.T) {
	const before = "# header comment\n\n" +
		"echo a=1\nhello\n----\nwrong\n\n" +
		"  # indented comment\n" +
		"echo \\\n  b=(1, 2)\n----\nstale output\nmore stale\n\n" +
		"blanky\n----\n\n" +
		"shrink\n----\n----\nx\n\ny\n----\n----\n" +
		"empty\n----\n----\nold\n\nold\n----\n----\n" +
		"# no blank line before this comment\n" +
		"last\n----\nx"
	const after = "# header comment\n\n" +
		"echo a=1\nhello\n----\necho a=1: hello\n\n" +
		"  # indented comment\n" +
		"echo \\\n  b=(1, 2)\n----\necho b=(1, 2): \n\n" +
		"blanky\n----\n----\np1\n\np2\n----\n----\n\n" +
		"shrink\n----\nxy\n\n" +
		"empty\n----\n\n" +
		"# no blank line before this comment\n" +
		"last\n----\n----\n----\nz\n----\n----\n"
	f := func(d *TestData) string {
		switch d.Cmd {
		case "echo":
			return d.command() + ": " + d.Input
		case "blanky":
			return "p1\n\np2\n\n\n"
		case "shrink":
			return "xy"
		case "empty":
			return "\n"
		default:
			return "----\nz\n"
		}
	}
	path := writeFile(t, before)

	tb := runFake(func(tb *fakeTB) { runFile(tb, path, false, f) })
	assert.Len(t, tb.errors, 6)

	tb = runFake(func(tb *fakeTB) { runFile(tb, path, true, f) })
	require.Empty(t, tb.fatal)
	require.Empty(t, tb.errors)
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, after, string(got))

	// The rewritten file passes and a second rewrite changes nothing.
	for _, rw := range []bool{false, true} {
		tb = runFake(func(tb *fakeTB) { runFile(tb, path, rw, f) })
		require.Empty(t, tb.fatal)
		require.Empty(t, tb.errors)
		got, err = os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, after, string(got))
	}
}

func TestRewriteUnrepresentable(t *testing.T) {
	const content = "cmd\n----\nold\n"
	path := writeFile(t, content)
	tb := runFake(func(tb *fakeTB) {
		runFile(tb, path, true, func(*TestData) string { return "a\n\n----\n----\nb" })
	})
	assert.Contains(t, tb.fatal, path+":1: output of cmd cannot be written")
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, content, string(got))
}

func TestRewriteEnv(t *testing.T) {
	t.Setenv("DATADRIVEN_REWRITE", "1")
	path := writeFile(t, "# c\ncmd x=1\n----\nold\n")
	RunTest(t, path, func(t *testing.T, d *TestData) string {
		return fmt.Sprintf("x is %d\n", d.Int(t, "x"))
	})
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "# c\ncmd x=1\n----\nx is 1\n", string(got))
}

func TestMismatch(t *testing.T) {
	path := writeFile(t, "ok\n----\nfine\n\nshow n=(1, 2)\n----\na\nb\nc\nd\ne\nf\ng\n")
	tb := runFake(func(tb *fakeTB) {
		runFile(tb, path, false, func(d *TestData) string {
			if d.Cmd == "ok" {
				return "fine"
			}
			return "a\nb\nc\nd\nE\nf\ng\nh\n"
		})
	})
	require.Empty(t, tb.fatal)
	require.Len(t, tb.errors, 1)
	msg := tb.errors[0]
	assert.True(t, strings.HasPrefix(msg, path+":5: output mismatch for: show n=(1, 2)\n"), msg)
	assert.Contains(t, msg, "expected:\na\nb\nc\nd\ne\nf\ng\nactual:\na\nb\nc\nd\nE\nf\ng\nh\n")
	assert.True(t, strings.HasSuffix(msg, "diff (-expected +actual):\n  ...\n  c\n  d\n- e\n+ E\n  f\n  g\n+ h\n"), msg)

	assert.Equal(t, "+ x\n", lineDiff("", "x\n"))
	assert.Equal(t, "- x\n", lineDiff("x\n", ""))
	assert.Contains(t, mismatch(&TestData{Pos: "p:1", Cmd: "c", Expected: "x\n"}, ""), "actual:\n<empty>\n")
}

func TestWalk(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"b.txt":        "cmd\n----\nb\n",
		"a.txt":        "cmd\n----\na\n",
		".hidden":      "broken",
		"backup.txt~":  "broken",
		"sub/deep.txt": "broken",
	}
	for name, content := range files {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	var seen []string
	Walk(t, dir, func(t *testing.T, d *TestData) string {
		seen = append(seen, filepath.Base(t.Name())+" "+filepath.Base(d.Pos))
		return strings.TrimSuffix(filepath.Base(d.Pos), ".txt:1")
	})
	assert.Equal(t, []string{"a.txt a.txt:1", "b.txt b.txt:1"}, seen)
}
