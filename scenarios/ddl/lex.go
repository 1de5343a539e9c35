package ddl

import (
	"fmt"
	"strings"
)

// tokKind is the kind of a lexical token.
type tokKind int

const (
	tokWord   tokKind = iota // keyword or unquoted identifier, lower-cased
	tokIdent                 // "quoted identifier", case kept
	tokString                // 'string literal', quotes removed
	tokNumber                // 123, 1.5
	tokPunct                 // ( ) , ; = . : and other single characters
)

// token is one lexical token with the 1-based line it starts on and its
// byte offset in the source.
type token struct {
	kind tokKind
	text string
	line int
	off  int
}

// statement is the tokens of one statement (without its ';'), its first
// line and its source text.
type statement struct {
	toks []token
	line int
	text string
}

// split lexes src into statements: split on ';' outside literals and
// comments. Empty statements are dropped. O(len(src)).
func split(src string) ([]statement, error) {
	var (
		stmts []statement
		cur   []token
		line  = 1
	)
	flush := func(end int) {
		if len(cur) > 0 {
			stmts = append(stmts, statement{toks: cur, line: cur[0].line, text: src[cur[0].off:end]})
		}
		cur = nil
	}
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f':
			i++
		case c == '-' && i+1 < len(src) && src[i+1] == '-':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			start := line
			j := strings.Index(src[i+2:], "*/")
			if j < 0 {
				return nil, &Error{Line: start, Err: fmt.Errorf("unterminated /* comment")}
			}
			line += strings.Count(src[i:i+2+j+2], "\n")
			i += 2 + j + 2
		case c == '\'' || c == '"':
			start, off := line, i
			var b strings.Builder
			i++
			closed := false
			for i < len(src) {
				if src[i] == c {
					if i+1 < len(src) && src[i+1] == c { // doubled quote
						b.WriteByte(c)
						i += 2
						continue
					}
					i++
					closed = true
					break
				}
				if src[i] == '\n' {
					line++
				}
				b.WriteByte(src[i])
				i++
			}
			if !closed {
				what := "string literal"
				if c == '"' {
					what = "quoted identifier"
				}
				return nil, &Error{Line: start, Err: fmt.Errorf("unterminated %s", what)}
			}
			kind := tokString
			if c == '"' {
				kind = tokIdent
			}
			cur = append(cur, token{kind: kind, text: b.String(), line: start, off: off})
		case c == ';':
			flush(i)
			i++
		case isWordStart(c):
			j := i
			for j < len(src) && isWordPart(src[j]) {
				j++
			}
			cur = append(cur, token{kind: tokWord, text: strings.ToLower(src[i:j]), line: line, off: i})
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.') {
				j++
			}
			cur = append(cur, token{kind: tokNumber, text: src[i:j], line: line, off: i})
			i = j
		default:
			cur = append(cur, token{kind: tokPunct, text: string(c), line: line, off: i})
			i++
		}
	}
	flush(len(src))
	return stmts, nil
}

func isWordStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}

func isWordPart(c byte) bool { return isWordStart(c) || c >= '0' && c <= '9' || c == '$' }
