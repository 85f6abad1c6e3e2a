// Package pyrepr prints values as Python prints them: str() and repr() of
// None, booleans, numbers, strings, lists and dicts. Ansible's messages and
// Jinja's output are made of these, so the template engine and the modules
// that repeat Ansible's messages share this one copy.
package pyrepr

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ferry-sh/ferry/internal/keyorder"
)

// Raw is text printed as it is by both Str and Repr (a Python object whose
// repr is its name, such as Jinja's Undefined).
type Raw string

// Printer prints values. Plain is optional: it turns a value of the
// caller's own types into one this package prints (nil, bool, int,
// float64, *big.Int, string, Raw, []any, map[string]any), or returns it
// unchanged. MaxDepth bounds nesting: deeper containers print as "...".
type Printer struct {
	Plain    func(any) any
	MaxDepth int
}

// Default prints plain values only, nested up to 100 deep.
var Default = Printer{MaxDepth: 100}

// Str is Python's str() with Default.
func Str(v any) string { return Default.Str(v) }

// Repr is Python's repr() with Default.
func Repr(v any) string { return Default.Repr(v) }

// Str is Python's str(): a string as it is, a scalar as Python writes it,
// a container as its repr.
func (p Printer) Str(v any) string {
	v = p.plain(v)
	if s, ok := v.(string); ok {
		return s
	}
	if s, ok := scalar(v); ok {
		return s
	}
	return p.Repr(v)
}

// Repr is Python's repr(): strings quoted, containers recursively, a dict's
// keys in their insertion order (package keyorder).
func (p Printer) Repr(v any) string {
	var b strings.Builder
	p.write(&b, v, 0)
	return b.String()
}

func (p Printer) plain(v any) any {
	if p.Plain != nil {
		return p.Plain(v)
	}
	return v
}

func (p Printer) write(b *strings.Builder, v any, depth int) {
	if depth > p.MaxDepth {
		b.WriteString("...")
		return
	}
	v = p.plain(v)
	if s, ok := v.(string); ok {
		Quote(b, s)
		return
	}
	if s, ok := scalar(v); ok {
		b.WriteString(s)
		return
	}
	switch x := v.(type) {
	case []any:
		b.WriteByte('[')
		for i, item := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			p.write(b, item, depth+1)
		}
		b.WriteByte(']')
	case map[string]any:
		b.WriteByte('{')
		for i, k := range keyorder.Keys(x) {
			if i > 0 {
				b.WriteString(", ")
			}
			Quote(b, k)
			b.WriteString(": ")
			p.write(b, x[k], depth+1)
		}
		b.WriteByte('}')
	default:
		fmt.Fprint(b, v)
	}
}

// scalar is the text of a value that is not a string or a container.
func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "None", true
	case bool:
		if x {
			return "True", true
		}
		return "False", true
	case int:
		return strconv.Itoa(x), true
	case float64:
		return Float(x), true
	case *big.Int:
		return x.String(), true
	case Raw:
		return string(x), true
	}
	return "", false
}

// Quote writes a Python string repr: single quotes unless the string holds
// a single quote and no double quote; control characters and invalid UTF-8
// escaped.
func Quote(b *strings.Builder, s string) {
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
	b.WriteByte(q)
	for i, w := 0, 0; i < len(s); i += w {
		r, size := utf8.DecodeRuneInString(s[i:])
		w = size
		switch {
		case r == rune(q) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(b, `\x%02x`, s[i])
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
}

// Float formats a float as Python's repr: 1.0, 0.1, 1e-05, 1e+16.
func Float(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // shortest digits, d.ddde±XX
	mant, expText, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expText)
	if exp >= -4 && exp < 16 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.ContainsAny(s, ".") {
			s += ".0"
		}
		return s
	}
	sign := "+"
	if exp < 0 {
		sign, exp = "-", -exp
	}
	return fmt.Sprintf("%se%s%02d", mant, sign, exp)
}
