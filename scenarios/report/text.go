package report

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// align is a column's alignment: text left, numbers right.
type align uint8

const (
	left align = iota
	right
)

// column is one column of a grid: its header and alignment.
type column struct {
	head  string
	align align
}

// grid is a table of string cells rendered either as aligned plain text or
// as a GitHub Markdown table. A nil row is a group break: a blank line in
// text, nothing in Markdown.
type grid struct {
	cols []column
	rows [][]string
}

// add appends a row; it must have one cell per column.
func (g *grid) add(cells ...string) {
	if len(cells) != len(g.cols) {
		panic("report: grid row has " + strconv.Itoa(len(cells)) + " cells for " + strconv.Itoa(len(g.cols)) + " columns")
	}
	g.rows = append(g.rows, cells)
}

// gap appends a group break.
func (g *grid) gap() { g.rows = append(g.rows, nil) }

// widths returns each column's width in runes over the header and cells.
func (g *grid) widths(escape func(string) string) []int {
	w := make([]int, len(g.cols))
	for i, c := range g.cols {
		w[i] = utf8.RuneCountInString(escape(c.head))
	}
	for _, row := range g.rows {
		for i, cell := range row {
			w[i] = max(w[i], utf8.RuneCountInString(escape(cell)))
		}
	}
	return w
}

// pad returns s padded with spaces to width runes on the side align says.
func pad(s string, width int, a align) string {
	n := width - utf8.RuneCountInString(s)
	if n <= 0 {
		return s
	}
	if a == right {
		return strings.Repeat(" ", n) + s
	}
	return s + strings.Repeat(" ", n)
}

// writeText writes the grid as plain text: the header, a rule of dashes, and
// the rows, columns two spaces apart, no trailing spaces.
func (g *grid) writeText(b *bytes.Buffer) {
	w := g.widths(plain)
	line := func(cells []string) {
		var sb strings.Builder
		for i, cell := range cells {
			if i > 0 {
				sb.WriteString("  ")
			}
			sb.WriteString(pad(cell, w[i], g.cols[i].align))
		}
		b.WriteString(strings.TrimRight(sb.String(), " "))
		b.WriteByte('\n')
	}
	heads := make([]string, len(g.cols))
	rules := make([]string, len(g.cols))
	for i, c := range g.cols {
		heads[i] = c.head
		rules[i] = strings.Repeat("-", w[i])
	}
	line(heads)
	line(rules)
	for _, row := range g.rows {
		if row == nil {
			b.WriteByte('\n')
			continue
		}
		line(row)
	}
}

// writeMarkdown writes the grid as a GitHub Markdown table, cells padded so
// that the source is aligned too; group breaks are dropped.
func (g *grid) writeMarkdown(b *bytes.Buffer) {
	w := g.widths(mdEscape)
	for i := range w {
		w[i] = max(w[i], 3) // the delimiter row needs at least "---"
	}
	line := func(cells []string) {
		b.WriteByte('|')
		for i, cell := range cells {
			b.WriteByte(' ')
			b.WriteString(pad(cell, w[i], g.cols[i].align))
			b.WriteString(" |")
		}
		b.WriteByte('\n')
	}
	heads := make([]string, len(g.cols))
	rules := make([]string, len(g.cols))
	for i, c := range g.cols {
		heads[i] = mdEscape(c.head)
		if c.align == right {
			rules[i] = strings.Repeat("-", w[i]-1) + ":"
		} else {
			rules[i] = strings.Repeat("-", w[i])
		}
	}
	line(heads)
	line(rules)
	for _, row := range g.rows {
		if row == nil {
			continue
		}
		cells := make([]string, len(row))
		for i, cell := range row {
			cells[i] = mdEscape(cell)
		}
		line(cells)
	}
}

func plain(s string) string { return s }

// mdEscape makes s safe inside a Markdown table cell: pipes escaped, line
// breaks folded to spaces.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// writeKV writes key/value lines with the values aligned, for header blocks.
func writeKV(b *bytes.Buffer, kv [][2]string) {
	w := 0
	for _, p := range kv {
		w = max(w, utf8.RuneCountInString(p[0]))
	}
	for _, p := range kv {
		b.WriteString(strings.TrimRight(pad(p[0], w, left)+"  "+p[1], " "))
		b.WriteByte('\n')
	}
}

// msPrec returns the decimals used for a latency of v milliseconds: two
// below 10 ms, one from 10 ms, decided on the value as rounded to two.
func msPrec(v float64) int {
	if math.Abs(math.Round(v*100)/100) < 10 {
		return 2
	}
	return 1
}

// fmtMs formats a latency in milliseconds for tables: "1.25", "66.5",
// "6120.0".
func fmtMs(v float64) string {
	return strconv.FormatFloat(v, 'f', msPrec(v), 64)
}

// fmtDelta formats a latency difference in milliseconds with its sign, at
// the precision fmtMs would use for its magnitude: "+64.5", "-0.20"; a
// difference that rounds to zero is "0.00" (or "0.0").
func fmtDelta(d float64) string {
	s := strconv.FormatFloat(math.Abs(d), 'f', msPrec(d), 64)
	if strings.Trim(s, "0.") == "" {
		return s
	}
	if d < 0 {
		return "-" + s
	}
	return "+" + s
}

// fmtSec formats a time or duration in seconds for tables, to the
// hundredth: "366.20".
func fmtSec(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// fmtNum formats a run parameter exactly, with no trailing zeros: "600",
// "0.5".
func fmtNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// fmtFull formats a float for CSV: the shortest decimal that parses back
// to the same float64, never an exponent.
func fmtFull(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func fmtUint(v uint64) string { return strconv.FormatUint(v, 10) }

// orDash returns s, or "-" when s is empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
