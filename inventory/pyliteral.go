package inventory

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// parseINIValue types an INI inventory value the way Ansible's ini plugin
// does: it tries Python's ast.literal_eval and keeps the text as a string when
// that fails. So `22` is an int, `True` a bool, `1.5` a float, `[1, 2]` a list,
// `'x'` the string x, and `yes`, `FALSE` or `two words` stay strings.
//
// Differences from Python, all on inputs that are rare in inventories: an
// integer that does not fit in 64 bits, a complex number, a set and an
// f-string stay strings (Ansible would keep a Python object that it cannot
// serialise anyway); bytes literals become strings.
func parseINIValue(text string) any {
	p := &pyParser{src: strings.TrimLeft(text, " \t")}
	v, ok := p.parseExpr(0)
	if !ok {
		return text
	}
	p.skipSpace()
	if p.pos != len(p.src) {
		return text
	}
	return v
}

const maxLiteralDepth = 100

// pyParser is a recursive-descent parser for the Python literal subset that
// ast.literal_eval accepts. Any failure means "not a literal".
type pyParser struct {
	src string
	pos int
}

// skipSpace skips blanks and a trailing comment, as Python's tokenizer does.
func (p *pyParser) skipSpace() {
	for p.pos < len(p.src) {
		switch c := p.src[p.pos]; {
		case c == ' ' || c == '\t' || c == '\f':
			p.pos++
		case c == '#':
			p.pos = len(p.src)
		default:
			return
		}
	}
}

func (p *pyParser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *pyParser) parseExpr(depth int) (any, bool) {
	if depth > maxLiteralDepth {
		return nil, false
	}
	p.skipSpace()
	switch c := p.peek(); {
	case c == '+' || c == '-':
		// literal_eval allows exactly one sign, and only before a number.
		p.pos++
		p.skipSpace()
		n, ok := p.parseNumber()
		if !ok {
			return nil, false
		}
		if c == '-' {
			switch x := n.(type) {
			case int:
				if x == math.MinInt {
					return nil, false
				}
				return -x, true
			case float64:
				return -x, true
			}
		}
		return n, true
	case c >= '0' && c <= '9' || c == '.' && p.pos+1 < len(p.src) && isDigit(p.src[p.pos+1]):
		return p.parseNumber()
	case c == '[':
		p.pos++
		return p.parseSeq(']', depth)
	case c == '(':
		p.pos++
		return p.parseParen(depth)
	case c == '{':
		p.pos++
		return p.parseDict(depth)
	case c == '"' || c == '\'':
		return p.parseStrings()
	case isIdentStart(c):
		return p.parseName()
	}
	return nil, false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isIdentChar(c byte) bool { return isIdentStart(c) || isDigit(c) }

// parseName handles True/False/None and string prefixes (r”, b”, u”).
func (p *pyParser) parseName() (any, bool) {
	start := p.pos
	for p.pos < len(p.src) && isIdentChar(p.src[p.pos]) {
		p.pos++
	}
	name := p.src[start:p.pos]
	if q := p.peek(); q == '"' || q == '\'' {
		p.pos = start
		return p.parseStrings()
	}
	switch name {
	case "True":
		return true, true
	case "False":
		return false, true
	case "None":
		return nil, true
	}
	return nil, false
}

// parseNumber reads an int or float literal with Python's rules (underscores
// between digits, 0x/0o/0b prefixes, no leading zeros on decimals).
func (p *pyParser) parseNumber() (any, bool) {
	start := p.pos
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if isIdentChar(c) || c == '.' {
			p.pos++
			continue
		}
		// An exponent sign belongs to the number: 1e-3.
		if (c == '+' || c == '-') && p.pos > start && (p.src[p.pos-1] == 'e' || p.src[p.pos-1] == 'E') && !isHexPrefixed(p.src[start:p.pos]) {
			p.pos++
			continue
		}
		break
	}
	return pyNumber(p.src[start:p.pos])
}

func isHexPrefixed(s string) bool {
	return len(s) > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')
}

func pyNumber(tok string) (any, bool) {
	if tok == "" || !validUnderscores(tok) {
		return nil, false
	}
	clean := strings.ReplaceAll(tok, "_", "")
	if len(clean) > 1 && clean[0] == '0' {
		base := 0
		switch clean[1] {
		case 'x', 'X':
			base = 16
		case 'o', 'O':
			base = 8
		case 'b', 'B':
			base = 2
		}
		if base != 0 {
			n, err := strconv.ParseInt(clean[2:], base, 64)
			if err != nil || clean[2:] == "" || strings.ContainsAny(clean[2:], "+-") {
				return nil, false
			}
			return int(n), true
		}
	}
	if isAllDigits(clean) {
		if len(clean) > 1 && clean[0] == '0' && strings.Trim(clean, "0") != "" {
			return nil, false // Python rejects leading zeros: 007
		}
		n, err := strconv.ParseInt(clean, 10, 64)
		if err != nil {
			return nil, false
		}
		return int(n), true
	}
	if !isPyFloat(clean) {
		return nil, false
	}
	f, err := strconv.ParseFloat(clean, 64)
	if err != nil {
		return nil, false
	}
	return f, true
}

// validUnderscores: an underscore must sit between two digits (or right after
// a base prefix), as Python requires.
func validUnderscores(tok string) bool {
	for i := 0; i < len(tok); i++ {
		if tok[i] != '_' {
			continue
		}
		if i == 0 || i == len(tok)-1 || !isHexDigit(tok[i+1]) {
			return false
		}
		prev := tok[i-1]
		if !isHexDigit(prev) && !(i == 2 && tok[0] == '0' && strings.ContainsRune("xXoObB", rune(prev))) {
			return false
		}
	}
	return true
}

func isHexDigit(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func isAllDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// isPyFloat accepts digits[.digits][e[+-]digits] and .digits forms, rejecting
// what strconv would take but Python would not (inf, nan, hex floats).
func isPyFloat(s string) bool {
	i, digits := 0, 0
	for i < len(s) && isDigit(s[i]) {
		i, digits = i+1, digits+1
	}
	dot := false
	if i < len(s) && s[i] == '.' {
		dot = true
		i++
		for i < len(s) && isDigit(s[i]) {
			i, digits = i+1, digits+1
		}
	}
	if digits == 0 {
		return false
	}
	exp := false
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		exp = true
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == len(s) && (dot || exp)
}

func (p *pyParser) parseSeq(closer byte, depth int) (any, bool) {
	items := []any{}
	for {
		p.skipSpace()
		if p.peek() == closer {
			p.pos++
			return items, true
		}
		v, ok := p.parseExpr(depth + 1)
		if !ok {
			return nil, false
		}
		items = append(items, v)
		p.skipSpace()
		switch p.peek() {
		case ',':
			p.pos++
		case closer:
			p.pos++
			return items, true
		default:
			return nil, false
		}
	}
}

// parseParen handles (x) grouping and tuples, which become lists.
func (p *pyParser) parseParen(depth int) (any, bool) {
	p.skipSpace()
	if p.peek() == ')' {
		p.pos++
		return []any{}, true
	}
	first, ok := p.parseExpr(depth + 1)
	if !ok {
		return nil, false
	}
	p.skipSpace()
	switch p.peek() {
	case ')':
		p.pos++
		return first, true
	case ',':
		p.pos++
		rest, ok := p.parseSeq(')', depth)
		if !ok {
			return nil, false
		}
		return append([]any{first}, rest.([]any)...), true
	}
	return nil, false
}

func (p *pyParser) parseDict(depth int) (any, bool) {
	m := map[string]any{}
	for {
		p.skipSpace()
		if p.peek() == '}' {
			p.pos++
			return m, true
		}
		k, ok := p.parseExpr(depth + 1)
		if !ok {
			return nil, false
		}
		key, ok := jsonKey(k)
		if !ok {
			return nil, false
		}
		p.skipSpace()
		if p.peek() != ':' {
			return nil, false // a set, or garbage
		}
		p.pos++
		v, ok := p.parseExpr(depth + 1)
		if !ok {
			return nil, false
		}
		m[key] = v
		p.skipSpace()
		switch p.peek() {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return m, true
		default:
			return nil, false
		}
	}
}

// jsonKey turns a scalar dict key into the string json.dumps would write.
func jsonKey(k any) (string, bool) {
	switch x := k.(type) {
	case string:
		return x, true
	case int:
		return strconv.Itoa(x), true
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	case nil:
		return "null", true
	}
	return "", false
}

// parseStrings reads one or more adjacent string literals and joins them.
func (p *pyParser) parseStrings() (any, bool) {
	var b strings.Builder
	count, bytesKind := 0, false
	for {
		p.skipSpace()
		start := p.pos
		for p.pos < len(p.src) && isIdentStart(p.src[p.pos]) && p.src[p.pos] < 0x80 {
			p.pos++
		}
		prefix := strings.ToLower(p.src[start:p.pos])
		q := p.peek()
		if q != '"' && q != '\'' {
			p.pos = start
			break
		}
		raw, isBytes, ok := stringPrefix(prefix)
		if !ok || (count > 0 && isBytes != bytesKind) {
			return nil, false
		}
		bytesKind = isBytes
		s, ok := p.parseQuoted(raw)
		if !ok {
			return nil, false
		}
		b.WriteString(s)
		count++
	}
	if count == 0 {
		return nil, false
	}
	return b.String(), true
}

func stringPrefix(prefix string) (raw, isBytes, ok bool) {
	switch prefix {
	case "":
		return false, false, true
	case "u":
		return false, false, true
	case "r":
		return true, false, true
	case "b":
		return false, true, true
	case "br", "rb":
		return true, true, true
	}
	return false, false, false // f-strings and unknown prefixes are not literals
}

func (p *pyParser) parseQuoted(raw bool) (string, bool) {
	q := p.src[p.pos]
	triple := strings.HasPrefix(p.src[p.pos:], strings.Repeat(string(q), 3))
	delim := string(q)
	if triple {
		delim = strings.Repeat(string(q), 3)
	}
	p.pos += len(delim)
	var b strings.Builder
	for p.pos < len(p.src) {
		if strings.HasPrefix(p.src[p.pos:], delim) {
			p.pos += len(delim)
			return b.String(), true
		}
		c := p.src[p.pos]
		if c == '\n' && !triple {
			return "", false
		}
		if c != '\\' {
			b.WriteByte(c)
			p.pos++
			continue
		}
		if p.pos+1 >= len(p.src) {
			return "", false
		}
		if raw {
			b.WriteString(p.src[p.pos : p.pos+2])
			p.pos += 2
			continue
		}
		if !p.escape(&b) {
			return "", false
		}
	}
	return "", false
}

// escape decodes one backslash escape; unknown escapes stay as written, as in
// Python.
func (p *pyParser) escape(b *strings.Builder) bool {
	c := p.src[p.pos+1]
	simple := map[byte]string{'\\': "\\", '\'': "'", '"': "\"", 'a': "\a", 'b': "\b", 'f': "\f",
		'n': "\n", 'r': "\r", 't': "\t", 'v': "\v", '\n': ""}
	if s, ok := simple[c]; ok {
		b.WriteString(s)
		p.pos += 2
		return true
	}
	switch {
	case c >= '0' && c <= '7':
		end := p.pos + 1
		for end < len(p.src) && end < p.pos+4 && p.src[end] >= '0' && p.src[end] <= '7' {
			end++
		}
		n, _ := strconv.ParseUint(p.src[p.pos+1:end], 8, 32)
		b.WriteRune(rune(n))
		p.pos = end
		return true
	case c == 'x' || c == 'u' || c == 'U':
		width := map[byte]int{'x': 2, 'u': 4, 'U': 8}[c]
		end := p.pos + 2 + width
		if end > len(p.src) {
			return false
		}
		n, err := strconv.ParseUint(p.src[p.pos+2:end], 16, 32)
		if err != nil || !utf8.ValidRune(rune(n)) {
			return false
		}
		b.WriteRune(rune(n))
		p.pos = end
		return true
	case c == 'N':
		return false // named escapes: not worth a Unicode name table here
	}
	b.WriteByte('\\')
	p.pos++
	return true
}
