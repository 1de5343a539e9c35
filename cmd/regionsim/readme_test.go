package main

// The figures in README.md are command output, generated: each block sits
// between a header comment that names the command and the lines to keep,
// and an end marker:
//
//	<!-- generated: regionsim run users-by-city
//	     keep: /^faults:/../^region eu-central-1 at/
//	     keep: ""
//	     keep: /^pMax:/
//	     check: long
//	-->
//	```
//	…the kept lines…
//	```
//	<!-- end generated -->
//
// TestREADME runs every command in process (run(args, …)), keeps the lines
// and fails with a diff where the README differs; `make readme` (go test
// -run TestREADME -update) rewrites the blocks in place.
//
// The first header line is `generated: regionsim ARGS…` (the exact command
// line, split as a shell would: 'single' and "double" quotes group words;
// its output is fenced as a code block) or `generated: NAME …`, a
// generator below (readmeGenerators) whose output is Markdown as is
// (between blank lines); the rest of that line describes it.
//
// `stream: stderr` quotes the command's stderr instead of its stdout, and
// `exit: N` is the exit status it must end with (default 0). Each `keep:`
// selector, in order, adds lines of the output; the /RE/ ones search from
// the line after the last one kept (Go regexp syntax):
//
//	/RE/         the next line matching RE
//	/RE/+N       that line and the N lines after it
//	/RE/..       that line and those after it up to the next blank one
//	/RE/../RE2/  that line through the next line matching RE2
//	"TEXT"       the line TEXT (a Go string), e.g. "" or "..."
//
// Without keep:, every line is kept. Trailing spaces are dropped. A
// selector that matches nothing fails the test: a changed output must not
// silently pick other lines.
//
// `check:` says when the test compares the block: always (the default),
// long (not under -short), or manual (only with -readme.all, for blocks
// that take minutes; -update regenerates every block).

import (
	"bytes"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	updateREADME = flag.Bool("update", false, "rewrite the generated blocks of README.md from the commands' output")
	readmeAll    = flag.Bool("readme.all", false, "also check the README blocks marked 'check: manual' (minutes of CPU)")
)

// readmePath is README.md relative to this package.
var readmePath = filepath.Join("..", "..", "README.md")

const (
	genPrefix = "<!-- generated: "
	genEnd    = "<!-- end generated -->"
)

// readmeBlock is one generated block of README.md.
type readmeBlock struct {
	line    int      // 1-based line of the header comment
	command []string // the first header line's words after "generated:"
	keep    []string // the keep: selectors, in order
	check   string   // always, long or manual
	stderr  bool     // stream: stderr
	exit    int      // the exit status the command must end with
	start   int      // index of the first content line (after the header)
	end     int      // index of the end marker line
	content string   // the content lines, joined with "\n"
}

// parseREADME finds the generated blocks of the lines of a README.
func parseREADME(lines []string) ([]readmeBlock, error) {
	var blocks []readmeBlock
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], genPrefix) {
			if strings.TrimSpace(lines[i]) == genEnd {
				return nil, fmt.Errorf("line %d: %s without a header", i+1, genEnd)
			}
			continue
		}
		b := readmeBlock{line: i + 1, check: "always"}
		header := []string{strings.TrimPrefix(lines[i], genPrefix)}
		for !strings.HasSuffix(strings.TrimSpace(header[len(header)-1]), "-->") {
			i++
			if i == len(lines) {
				return nil, fmt.Errorf("line %d: header comment not closed with -->", b.line)
			}
			header = append(header, lines[i])
		}
		last := strings.TrimSpace(header[len(header)-1])
		header[len(header)-1] = strings.TrimSuffix(last, "-->")
		var err error
		if b.command, err = shellWords(header[0]); err != nil {
			return nil, fmt.Errorf("line %d: generated: %v", b.line, err)
		}
		if len(b.command) == 0 {
			return nil, fmt.Errorf("line %d: generated: names no command", b.line)
		}
		for _, h := range header[1:] {
			h = strings.TrimSpace(h)
			switch {
			case h == "":
			case strings.HasPrefix(h, "keep:"):
				b.keep = append(b.keep, strings.TrimSpace(strings.TrimPrefix(h, "keep:")))
			case strings.HasPrefix(h, "check:"):
				f := strings.Fields(strings.TrimPrefix(h, "check:"))
				if len(f) == 0 || !slices.Contains([]string{"always", "long", "manual"}, f[0]) {
					return nil, fmt.Errorf("line %d: %q: want check: always, long or manual", b.line, h)
				}
				b.check = f[0]
			case h == "stream: stderr":
				b.stderr = true
			case strings.HasPrefix(h, "exit:"):
				n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(h, "exit:")))
				if err != nil {
					return nil, fmt.Errorf("line %d: %q: want exit: N", b.line, h)
				}
				b.exit = n
			default:
				return nil, fmt.Errorf("line %d: %q: want keep:, check:, stream: stderr or exit:", b.line, h)
			}
		}
		b.start = i + 1
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != genEnd; i++ {
			if strings.HasPrefix(lines[i], genPrefix) {
				return nil, fmt.Errorf("line %d: block not closed with %s before the next one", b.line, genEnd)
			}
		}
		if i == len(lines) {
			return nil, fmt.Errorf("line %d: block not closed with %s", b.line, genEnd)
		}
		b.end = i
		b.content = strings.Join(lines[b.start:b.end], "\n")
		blocks = append(blocks, b)
	}
	return blocks, nil
}

// shellWords splits s into words as a POSIX shell does, for quotes:
// 'single' and "double" quoted parts (no escapes inside) join the word
// they touch.
func shellWords(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case '\'', '"':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return nil, fmt.Errorf("unclosed %c in %q", c, s)
			}
			w.WriteString(s[i+1 : i+1+j])
			i += 1 + j
			inWord = true
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}

// keepLines applies the selectors to the lines of an output.
func keepLines(out []string, selectors []string) ([]string, error) {
	if len(selectors) == 0 {
		return out, nil
	}
	var kept []string
	next := 0 // where the next search starts
	for _, sel := range selectors {
		if strings.HasPrefix(sel, `"`) {
			text, err := strconv.Unquote(sel)
			if err != nil {
				return nil, fmt.Errorf("keep: %s: %v", sel, err)
			}
			kept = append(kept, text)
			continue
		}
		re, rest, err := cutRegexp(sel)
		if err != nil {
			return nil, fmt.Errorf("keep: %s: %v", sel, err)
		}
		first := find(out, next, re)
		if first < 0 {
			return nil, fmt.Errorf("keep: %s: no line from line %d of the output matches", sel, next+1)
		}
		last := first
		switch {
		case rest == "":
		case rest == "..":
			for last+1 < len(out) && strings.TrimSpace(out[last+1]) != "" {
				last++
			}
		case strings.HasPrefix(rest, "+"):
			n, err := strconv.Atoi(rest[1:])
			if err != nil || n < 0 {
				return nil, fmt.Errorf("keep: %s: %q: want +N", sel, rest)
			}
			if last = first + n; last >= len(out) {
				return nil, fmt.Errorf("keep: %s: the output ends %d lines after the match", sel, len(out)-1-first)
			}
		case strings.HasPrefix(rest, ".."):
			re2, tail, err := cutRegexp(rest[2:])
			if err != nil || tail != "" {
				return nil, fmt.Errorf("keep: %s: want /RE/../RE2/", sel)
			}
			if last = find(out, first+1, re2); last < 0 {
				return nil, fmt.Errorf("keep: %s: no line after line %d matches the end", sel, first+1)
			}
		default:
			return nil, fmt.Errorf("keep: %s: %q: want nothing, +N, .. or ../RE/ after /RE/", sel, rest)
		}
		kept = append(kept, out[first:last+1]...)
		next = last + 1
	}
	return kept, nil
}

// cutRegexp parses a leading /RE/ (a slash inside RE written \/) and
// returns the rest.
func cutRegexp(s string) (*regexp.Regexp, string, error) {
	if !strings.HasPrefix(s, "/") {
		return nil, "", fmt.Errorf(`want /RE/ or "TEXT"`)
	}
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '/':
			re, err := regexp.Compile(strings.ReplaceAll(s[1:i], `\/`, "/"))
			return re, s[i+1:], err
		}
	}
	return nil, "", fmt.Errorf("unterminated /RE/")
}

func find(lines []string, from int, re *regexp.Regexp) int {
	for i := from; i < len(lines); i++ {
		if re.MatchString(lines[i]) {
			return i
		}
	}
	return -1
}

// readmeGenerators are the blocks that are not one command's output, by
// name.
var readmeGenerators = map[string]func(*outputs) (string, error){
	"failover-pmax-by-version": failoverPMaxByVersion,
}

// failoverPMaxByVersion is the table of the failover built-ins' pMax by
// CockroachDB version: median (min–max) over seeds 1–5, in seconds, of the
// "pMax: worst successful request … ms" line of
// `regionsim run failover|failover-blackhole --crdb-version V --seed S`.
func failoverPMaxByVersion(o *outputs) (string, error) {
	versions := []string{"22.2", "23.1", "24.3", "25.2"}
	scens := []string{"failover", "failover-blackhole"}
	const seeds = 5
	var cmds [][]string
	for _, v := range versions {
		for _, sc := range scens {
			for seed := 1; seed <= seeds; seed++ {
				cmds = append(cmds, []string{"regionsim", "run", sc, "--crdb-version", v, "--seed", strconv.Itoa(seed), "--quiet"})
			}
		}
	}
	o.run(cmds)
	pmax := regexp.MustCompile(`(?m)^pMax: worst successful request ([0-9.]+) ms$`)
	var b strings.Builder
	// Blank lines around the table, so that the comments do not touch it.
	b.WriteString("\n| version | crash: median (min–max) | blackhole: median (min–max) |\n|---|---|---|")
	i := 0
	for _, v := range versions {
		fmt.Fprintf(&b, "\n| %s |", v)
		for range scens {
			var s []float64
			for range seeds {
				out, err := o.get(cmds[i], 0)
				i++
				if err != nil {
					return "", err
				}
				m := pmax.FindStringSubmatch(out.stdout)
				if m == nil {
					return "", fmt.Errorf("%s: no pMax line", strings.Join(cmds[i-1], " "))
				}
				ms, _ := strconv.ParseFloat(m[1], 64)
				s = append(s, ms/1000)
			}
			sort.Float64s(s)
			fmt.Fprintf(&b, " %.1f (%.1f–%.1f) |", s[len(s)/2], s[0], s[len(s)-1])
		}
	}
	b.WriteString("\n")
	return b.String(), nil
}

// outputs runs regionsim command lines in process, each once, several at a
// time.
type outputs struct {
	mu   sync.Mutex
	done map[string]output
}

type output struct {
	stdout, stderr string
	code           int // exit status
	err            error
}

// run runs the command lines not run yet, GOMAXPROCS at a time.
func (o *outputs) run(cmds [][]string) {
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for _, c := range cmds {
		key := strings.Join(c, " ")
		o.mu.Lock()
		_, seen := o.done[key]
		if !seen {
			o.done[key] = output{err: fmt.Errorf("%s: still running", key)}
		}
		o.mu.Unlock()
		if seen {
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			var stdout, stderr bytes.Buffer
			code := run(c[1:], &stdout, &stderr)
			res := output{stdout: stdout.String(), stderr: stderr.String(), code: code}
			o.mu.Lock()
			o.done[key] = res
			o.mu.Unlock()
		})
	}
	wg.Wait()
}

// get returns the output of cmd, which must have exited with status exit.
func (o *outputs) get(cmd []string, exit int) (output, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	key := strings.Join(cmd, " ")
	res, ok := o.done[key]
	switch {
	case !ok:
		return res, fmt.Errorf("%s: not run", key)
	case res.err != nil:
		return res, res.err
	case res.code != exit:
		return res, fmt.Errorf("%s: exit %d (want %d): %s", key, res.code, exit, res.stderr)
	}
	return res, nil
}

// name is the command line of b, or the name of its generator.
func (b readmeBlock) name() string {
	if b.command[0] != "regionsim" {
		return b.command[0]
	}
	return strings.Join(b.command, " ")
}

// generate returns the content of block b.
func (b readmeBlock) generate(o *outputs) (string, error) {
	if b.command[0] != "regionsim" {
		gen, ok := readmeGenerators[b.command[0]]
		if !ok {
			return "", fmt.Errorf("unknown generator %q (want regionsim ARGS or one of %v)", b.command[0], slices.Sorted(maps.Keys(readmeGenerators)))
		}
		return gen(o)
	}
	o.run([][]string{b.command})
	res, err := o.get(b.command, b.exit)
	if err != nil {
		return "", err
	}
	out := res.stdout
	if b.stderr {
		out = res.stderr
	}
	kept, err := keepLines(strings.Split(strings.TrimRight(out, "\n"), "\n"), b.keep)
	if err != nil {
		return "", fmt.Errorf("%s: %w", strings.Join(b.command, " "), err)
	}
	for i, l := range kept {
		kept[i] = strings.TrimRight(l, " ")
	}
	return "```\n" + strings.Join(kept, "\n") + "\n```", nil
}

// TestREADME regenerates every block of README.md that this run checks
// (see the top of the file) and compares it with the README; with -update
// it rewrites the README instead.
func TestREADME(t *testing.T) {
	data, err := os.ReadFile(readmePath)
	require.NoError(t, err)
	lines := strings.Split(string(data), "\n")
	blocks, err := parseREADME(lines)
	require.NoError(t, err)
	require.NotEmpty(t, blocks, "README.md has generated blocks")

	var todo []readmeBlock
	var cmds [][]string
	for _, b := range blocks {
		switch {
		case *updateREADME:
		case b.check == "manual" && !*readmeAll:
			t.Logf("README.md:%d (%s): not checked: check: manual (go test ./cmd/regionsim -run TestREADME -readme.all; make readme regenerates it)", b.line, b.name())
			continue
		case b.check == "long" && testing.Short():
			t.Logf("README.md:%d (%s): not checked under -short", b.line, b.name())
			continue
		}
		todo = append(todo, b)
		if b.command[0] == "regionsim" {
			cmds = append(cmds, b.command)
		}
	}
	o := &outputs{done: map[string]output{}}
	o.run(cmds) // in parallel; generate then finds them done

	changed := false
	for i := len(todo) - 1; i >= 0; i-- { // from the end, so indices stay valid
		b := todo[i]
		got, err := b.generate(o)
		if !assert.NoError(t, err, "README.md:%d", b.line) {
			continue
		}
		if got == b.content {
			continue
		}
		if *updateREADME {
			lines = slices.Concat(lines[:b.start], strings.Split(got, "\n"), lines[b.end:])
			changed = true
			continue
		}
		assert.Equal(t, got, b.content, "README.md:%d: the block of %q differs from what the command prints now (expected: generated, actual: README); run 'make readme'",
			b.line, b.name())
	}
	if changed {
		require.NoError(t, os.WriteFile(readmePath, []byte(strings.Join(lines, "\n")), 0o644))
		t.Logf("rewrote %s", readmePath)
	}
}

// TestREADMESelectors pins the keep: language on a small output.
func TestREADMESelectors(t *testing.T) {
	out := strings.Split("title\n\nhead a\n----\nx 1\n  y 2\nx 3\n\nfoot\nend", "\n")
	for _, tc := range []struct {
		keep    []string
		want    string // the kept lines, or
		wantErr string // part of the error
	}{
		{keep: nil, want: strings.Join(out, "\n")},
		{keep: []string{`/^head/+1`, `"..."`, `/^x/`}, want: "head a\n----\n...\nx 1"},
		{keep: []string{`/^x/`, `/^x/`}, want: "x 1\nx 3"}, // a search starts after the last kept line
		{keep: []string{`/^head/..`, `""`, `/^foot/../^end/`}, want: "head a\n----\nx 1\n  y 2\nx 3\n\nfoot\nend"},
		{keep: []string{`/^ +y \d/`}, want: "  y 2"},
		{keep: []string{`/a\/b|title/`}, want: "title"},
		{keep: []string{`/^x 3/`, `/^x 1/`}, wantErr: "no line from line 8"},
		{keep: []string{`/^end/+1`}, wantErr: "the output ends 0 lines after"},
		{keep: []string{`/^x/../^nope/`}, wantErr: "no line after line 5 matches the end"},
		{keep: []string{`/^x/-1`}, wantErr: "want nothing, +N"},
		{keep: []string{`x`}, wantErr: `want /RE/ or "TEXT"`},
		{keep: []string{`/(/`}, wantErr: "missing closing )"},
		{keep: []string{`"unclosed`}, wantErr: "invalid syntax"},
	} {
		got, err := keepLines(out, tc.keep)
		if tc.wantErr != "" {
			if assert.Error(t, err, "%v", tc.keep) {
				assert.Contains(t, err.Error(), tc.wantErr, "%v", tc.keep)
			}
			continue
		}
		require.NoError(t, err, "%v", tc.keep)
		assert.Equal(t, tc.want, strings.Join(got, "\n"), "%v", tc.keep)
	}

	lines := strings.Split("a\n<!-- generated: regionsim run x\n     keep: /^t/+1\n     check: long\n-->\n```\nold\n```\n<!-- end generated -->\nb", "\n")
	blocks, err := parseREADME(lines)
	require.NoError(t, err)
	require.Len(t, blocks, 1)
	assert.Equal(t, readmeBlock{line: 2, command: []string{"regionsim", "run", "x"}, keep: []string{"/^t/+1"}, check: "long",
		start: 5, end: 8, content: "```\nold\n```"}, blocks[0])
	lines = strings.Split("<!-- generated: regionsim compare default --assert 'a.b<1ms' --assert \"x == 0\"\n     stream: stderr\n     exit: 3 -->\n<!-- end generated -->", "\n")
	blocks, err = parseREADME(lines)
	require.NoError(t, err)
	require.Len(t, blocks, 1)
	assert.Equal(t, []string{"regionsim", "compare", "default", "--assert", "a.b<1ms", "--assert", "x == 0"}, blocks[0].command)
	assert.True(t, blocks[0].stderr)
	assert.Equal(t, 3, blocks[0].exit)
	for _, bad := range []string{
		"<!-- generated: regionsim run x -->\n```",
		"<!-- generated: regionsim run x\n     keep: /x/",
		"<!-- generated: regionsim run x\n     kept: /x/ -->\n<!-- end generated -->",
		"<!-- generated: regionsim run x\n     check: sometimes -->\n<!-- end generated -->",
		"<!-- end generated -->",
		"<!-- generated: regionsim run 'x -->\n<!-- end generated -->",
		"<!-- generated: regionsim run x\n     exit: three -->\n<!-- end generated -->",
	} {
		_, err := parseREADME(strings.Split(bad, "\n"))
		assert.Error(t, err, bad)
	}
}
