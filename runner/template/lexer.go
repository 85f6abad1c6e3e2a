package template

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// tokenKind classifies a token of the Jinja expression syntax.
type tokenKind int

const (
	tokEOF tokenKind = iota
	tokName
	tokInt
	tokFloat
	tokString
	tokOp // operators and punctuation: + - * / // % ** ~ == != < > <= >= = ( ) [ ] { } , . : |
)

type token struct {
	kind tokenKind
	text string // the operator or name; for strings, the decoded value
	pos  int    // byte offset in the expression source
	num  any    // int or float64 for number tokens
}

func (t token) is(kind tokenKind, text string) bool { return t.kind == kind && t.text == text }

func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of expression"
	case tokString:
		return "string " + pyRepr(t.text)
	default:
		return "'" + t.text + "'"
	}
}

// posError is a syntax error at a byte offset of an expression; the template
// layer turns the offset into a line and column of the whole text.
type posError struct {
	pos      int
	msg      string
	unknown  string // "filter" or "test" when the error is an unknown name
	nameUsed string // that name
}

func (e *posError) Error() string { return e.msg }

func errAt(pos int, format string, args ...any) *posError {
	return &posError{pos: pos, msg: fmt.Sprintf(format, args...)}
}

// lexer tokenizes Jinja expression syntax. It is also used by the template
// scanner to find where a {{ ... }} or {% ... %} ends, so that a '}}' inside a
// string or a dict literal does not end the tag.
type lexer struct {
	src string
	pos int
}

// twoCharOps are matched before single characters.
var twoCharOps = []string{"//", "**", "==", "!=", "<=", ">="}

const singleCharOps = "+-*/%~<>=()[]{},.:|"

func isNameStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (l *lexer) skipSpace() {
	for l.pos < len(l.src) {
		switch l.src[l.pos] {
		case ' ', '\t', '\n', '\r', '\f', '\v':
			l.pos++
		default:
			return
		}
	}
}

// next returns the next token.
func (l *lexer) next() (token, error) {
	l.skipSpace()
	if l.pos >= len(l.src) {
		return token{kind: tokEOF, pos: l.pos}, nil
	}
	start := l.pos
	c := l.src[l.pos]
	switch {
	case isNameStart(c):
		for l.pos < len(l.src) && (isNameStart(l.src[l.pos]) || isDigit(l.src[l.pos])) {
			l.pos++
		}
		return token{kind: tokName, text: l.src[start:l.pos], pos: start}, nil
	case isDigit(c):
		return l.number()
	case c == '\'' || c == '"':
		return l.quoted(c)
	}
	for _, op := range twoCharOps {
		if strings.HasPrefix(l.src[l.pos:], op) {
			l.pos += 2
			return token{kind: tokOp, text: op, pos: start}, nil
		}
	}
	if strings.IndexByte(singleCharOps, c) >= 0 {
		l.pos++
		return token{kind: tokOp, text: string(c), pos: start}, nil
	}
	r, _ := utf8.DecodeRuneInString(l.src[l.pos:])
	return token{}, errAt(start, "unexpected character %q", r)
}

func (l *lexer) number() (token, error) {
	start := l.pos
	isFloat := false
	for l.pos < len(l.src) && (isDigit(l.src[l.pos]) || l.src[l.pos] == '_') {
		l.pos++
	}
	// A '.' followed by a digit continues the number; `a.0` style item
	// access never reaches here because names are lexed first.
	if l.pos+1 < len(l.src) && l.src[l.pos] == '.' && isDigit(l.src[l.pos+1]) {
		isFloat = true
		l.pos++
		for l.pos < len(l.src) && (isDigit(l.src[l.pos]) || l.src[l.pos] == '_') {
			l.pos++
		}
	}
	if l.pos < len(l.src) && (l.src[l.pos] == 'e' || l.src[l.pos] == 'E') {
		p := l.pos + 1
		if p < len(l.src) && (l.src[p] == '+' || l.src[p] == '-') {
			p++
		}
		if p < len(l.src) && isDigit(l.src[p]) {
			isFloat = true
			for p < len(l.src) && isDigit(l.src[p]) {
				p++
			}
			l.pos = p
		}
	}
	text := l.src[start:l.pos]
	clean := strings.ReplaceAll(text, "_", "")
	if isFloat {
		f, err := strconv.ParseFloat(clean, 64)
		if err != nil {
			return token{}, errAt(start, "invalid number %q", text)
		}
		return token{kind: tokFloat, text: text, pos: start, num: f}, nil
	}
	n, err := strconv.ParseInt(clean, 10, 64)
	if err != nil {
		return token{}, errAt(start, "invalid or too large integer %q", text)
	}
	return token{kind: tokInt, text: text, pos: start, num: int(n)}, nil
}

// quoted decodes a Python string literal (the escapes Jinja accepts).
func (l *lexer) quoted(q byte) (token, error) {
	start := l.pos
	l.pos++
	var b strings.Builder
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == q:
			l.pos++
			return token{kind: tokString, text: b.String(), pos: start}, nil
		case c == '\\' && l.pos+1 < len(l.src):
			l.pos++
			l.escape(&b)
		default:
			b.WriteByte(c)
			l.pos++
		}
	}
	return token{}, errAt(start, "unterminated string")
}

var simpleEscapes = map[byte]string{'n': "\n", 't': "\t", 'r': "\r", '\\': "\\", '\'': "'", '"': "\"",
	'a': "\a", 'b': "\b", 'f': "\f", 'v': "\v", '0': "\x00", '\n': ""}

var escapeWidths = map[byte]int{'x': 2, 'u': 4, 'U': 8}

// escape decodes one escape sequence; l.pos is on the character after '\'.
// Unknown escapes are kept verbatim, as Python does.
func (l *lexer) escape(b *strings.Builder) {
	c := l.src[l.pos]
	l.pos++
	if s, ok := simpleEscapes[c]; ok {
		b.WriteString(s)
		return
	}
	width := escapeWidths[c]
	if width > 0 && l.pos+width <= len(l.src) {
		if n, err := strconv.ParseUint(l.src[l.pos:l.pos+width], 16, 32); err == nil && n <= utf8.MaxRune {
			b.WriteRune(rune(n))
			l.pos += width
			return
		}
	}
	b.WriteByte('\\')
	b.WriteByte(c)
}

// tokenize lexes a whole expression.
func tokenize(src string) ([]token, error) {
	l := &lexer{src: src}
	var toks []token
	for {
		t, err := l.next()
		if err != nil {
			return nil, err
		}
		toks = append(toks, t)
		if t.kind == tokEOF {
			return toks, nil
		}
	}
}
