package datadriven

import (
	"fmt"
	"strings"
)

// directive is a parsed TestData plus where its output sits in the file.
type directive struct {
	data *TestData
	// outStart and outEnd delimit the bytes after the "----" line that the
	// rewrite replaces: the expected output, including the extra separator
	// lines of the double-separator form.
	outStart, outEnd int
	sepNoEOL         bool // the "----" line ends the file without a newline
	needsBlank       bool // a non-blank line follows outEnd directly
}

type line struct {
	text       string // without the line terminator
	start, end int    // byte range of the whole line, terminator included
	eol        bool   // the line is terminated by "\n"
}

func splitLines(s string) []line {
	var lines []line
	for start := 0; start < len(s); {
		end, eol := len(s), false
		if i := strings.IndexByte(s[start:], '\n'); i >= 0 {
			end, eol = start+i+1, true
		}
		text := strings.TrimSuffix(strings.TrimSuffix(s[start:end], "\n"), "\r")
		lines = append(lines, line{text: text, start: start, end: end, eol: eol})
		start = end
	}
	return lines
}

func isBlank(s string) bool { return strings.TrimSpace(s) == "" }

func isSep(s string) bool { return strings.TrimRight(s, " \t") == "----" }

// normalize makes non-empty output end with exactly one newline.
func normalize(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	return s + "\n"
}

// parse splits the content of the file at path into directives.
func parse(path, content string) ([]directive, error) {
	lines := splitLines(content)
	var dirs []directive
	for i := 0; i < len(lines); {
		if t := strings.TrimSpace(lines[i].text); t == "" || strings.HasPrefix(t, "#") {
			i++
			continue
		}
		d := &TestData{Pos: fmt.Sprintf("%s:%d", path, i+1)}
		var cmd strings.Builder
		for {
			text := strings.TrimRight(lines[i].text, " \t")
			i++
			if !strings.HasSuffix(text, `\`) {
				cmd.WriteString(text)
				break
			}
			cmd.WriteString(strings.TrimSuffix(text, `\`) + " ")
			if i == len(lines) {
				return nil, fmt.Errorf("%s: command continues past the end of the file", d.Pos)
			}
		}
		var err error
		if d.Cmd, d.CmdArgs, err = parseCommand(cmd.String()); err != nil {
			return nil, fmt.Errorf("%s: %v", d.Pos, err)
		}
		var input []string
		for ; i < len(lines) && !isSep(lines[i].text); i++ {
			if isBlank(lines[i].text) {
				return nil, fmt.Errorf("%s: %s: blank line at line %d before the \"----\" separator", d.Pos, d.Cmd, i+1)
			}
			input = append(input, lines[i].text)
		}
		if i == len(lines) {
			return nil, fmt.Errorf("%s: %s: missing \"----\" separator before the end of the file", d.Pos, d.Cmd)
		}
		d.Input = strings.Join(input, "\n")
		dir := directive{data: d, outStart: lines[i].end, sepNoEOL: !lines[i].eol}
		i++
		var out []string
		if i < len(lines) && isSep(lines[i].text) {
			// Double-separator form: read up to the two closing "----" lines.
			j := i + 1
			for ; j+1 < len(lines) && !(isSep(lines[j].text) && isSep(lines[j+1].text)); j++ {
				out = append(out, lines[j].text)
			}
			if j+1 >= len(lines) {
				return nil, fmt.Errorf("%s: %s: output opened with \"----\" twice is not closed by two \"----\" lines", d.Pos, d.Cmd)
			}
			i = j + 2
		} else {
			for ; i < len(lines) && !isBlank(lines[i].text); i++ {
				out = append(out, lines[i].text)
			}
		}
		dir.outEnd = len(content)
		if i < len(lines) {
			dir.outEnd = lines[i].start
			dir.needsBlank = !isBlank(lines[i].text)
		}
		d.Expected = normalize(strings.Join(out, "\n"))
		dirs = append(dirs, dir)
	}
	return dirs, nil
}

// replacement renders normalized output for the region [outStart, outEnd).
func (dir directive) replacement(out string) string {
	double := false
	for i, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if out != "" && (isBlank(l) || i == 0 && isSep(l)) {
			double = true
		}
	}
	r := out
	if double {
		r = "----\n" + out + "----\n----\n"
	}
	if dir.sepNoEOL && r != "" {
		r = "\n" + r
	}
	if dir.needsBlank && !double {
		r += "\n"
	}
	return r
}

// parseCommand splits a command line into the command and its arguments.
func parseCommand(s string) (string, []CmdArg, error) {
	var args []CmdArg
	for pos := 0; ; {
		for pos < len(s) && (s[pos] == ' ' || s[pos] == '\t') {
			pos++
		}
		if pos == len(s) {
			break
		}
		start := pos
		for pos < len(s) && !strings.ContainsRune(" \t=()", rune(s[pos])) {
			pos++
		}
		if pos == start {
			return "", nil, fmt.Errorf("unexpected %q at column %d", s[pos], pos+1)
		}
		arg := CmdArg{Key: s[start:pos]}
		if pos < len(s) && s[pos] == '=' {
			pos++
			if pos < len(s) && s[pos] == '(' {
				end := strings.IndexByte(s[pos:], ')')
				if end < 0 || strings.ContainsRune(s[pos+1:pos+end], '(') {
					return "", nil, fmt.Errorf("argument %q: unbalanced parentheses", arg.Key)
				}
				arg.Vals = []string{}
				if inner := s[pos+1 : pos+end]; strings.TrimSpace(inner) != "" {
					for _, v := range strings.Split(inner, ",") {
						arg.Vals = append(arg.Vals, strings.TrimSpace(v))
					}
				}
				pos += end + 1
			} else {
				start := pos
				for pos < len(s) && s[pos] != ' ' && s[pos] != '\t' {
					pos++
				}
				if v := s[start:pos]; strings.ContainsAny(v, "()") {
					return "", nil, fmt.Errorf("argument %q: unbalanced parentheses in %q", arg.Key, v)
				}
				arg.Vals = []string{s[start:pos]}
			}
		}
		if pos < len(s) && s[pos] != ' ' && s[pos] != '\t' {
			return "", nil, fmt.Errorf("unexpected %q after argument %q at column %d", s[pos], arg.Key, pos+1)
		}
		args = append(args, arg)
	}
	if args[0].Vals != nil {
		return "", nil, fmt.Errorf("command %q must be a bare word", args[0].String())
	}
	if len(args) == 1 {
		return args[0].Key, nil, nil
	}
	return args[0].Key, args[1:], nil
}
