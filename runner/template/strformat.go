package template

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// pyStrFormat is Python's str.format: {} and {0} take positional
// arguments, {name} keyword ones, followed by .attr or [key] lookups, an
// optional !r/!s conversion and a :spec in the format mini-language.
func pyStrFormat(format string, args []any, kwargs map[string]any) (any, error) {
	var b strings.Builder
	auto := 0
	for i := 0; i < len(format); i++ {
		c := format[i]
		switch {
		case c == '}' && strings.HasPrefix(format[i:], "}}"):
			b.WriteByte('}')
			i++
		case c == '}':
			return nil, errors.New("single '}' encountered in format string")
		case c == '{' && strings.HasPrefix(format[i:], "{{"):
			b.WriteByte('{')
			i++
		case c == '{':
			end := strings.IndexByte(format[i:], '}')
			if end < 0 {
				return nil, errors.New("single '{' encountered in format string")
			}
			s, err := formatField(format[i+1:i+end], args, kwargs, &auto)
			if err != nil {
				return nil, err
			}
			b.WriteString(s)
			if b.Len() > maxStringLen {
				return nil, errTooLong
			}
			i += end
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// formatField renders one replacement field (the text between braces).
func formatField(field string, args []any, kwargs map[string]any, auto *int) (string, error) {
	field, spec, _ := strings.Cut(field, ":")
	field, conv, hasConv := strings.Cut(field, "!")
	nameEnd := strings.IndexAny(field, ".[")
	if nameEnd < 0 {
		nameEnd = len(field)
	}
	v, err := formatArg(field[:nameEnd], args, kwargs, auto)
	if err != nil {
		return "", err
	}
	if v, err = formatPath(v, field[nameEnd:]); err != nil {
		return "", err
	}
	switch {
	case !hasConv:
	case conv == "r":
		v = pyRepr(v)
	case conv == "s":
		v = pyStr(v)
	default:
		return "", fmt.Errorf("unknown conversion specifier %s", conv)
	}
	return formatSpec(v, spec)
}

func formatArg(name string, args []any, kwargs map[string]any, auto *int) (any, error) {
	if name == "" {
		if *auto >= len(args) {
			return nil, fmt.Errorf("replacement index %d out of range for positional args tuple", *auto)
		}
		*auto++
		return args[*auto-1], nil
	}
	if n, err := strconv.Atoi(name); err == nil {
		if n >= len(args) {
			return nil, fmt.Errorf("replacement index %d out of range for positional args tuple", n)
		}
		return args[n], nil
	}
	v, ok := kwargs[name]
	if !ok {
		return nil, fmt.Errorf("KeyError: '%s'", name)
	}
	return v, nil
}

// formatPath applies .attr and [key] lookups of a replacement field.
func formatPath(v any, path string) (any, error) {
	for path != "" {
		var key any
		switch path[0] {
		case '.':
			end := strings.IndexAny(path[1:], ".[")
			if end < 0 {
				end = len(path) - 1
			}
			key, path = path[1:1+end], path[1+end:]
		case '[':
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return nil, errors.New("missing ']' in format string")
			}
			k := path[1:end]
			if n, err := strconv.Atoi(k); err == nil {
				key = n
			} else {
				key = k
			}
			path = path[end+1:]
		default:
			return nil, errors.New("only '.' or '[' may follow ']' in format field specifier")
		}
		next, ok := lookupKey(v, key)
		if !ok {
			return nil, fmt.Errorf("%s has no attribute or item %s", typeName(v), pyRepr(key))
		}
		v = next
	}
	return v, nil
}

// fmtSpec is a parsed format spec: [[fill]align][sign][#][0][width][,|_][.precision][type].
type fmtSpec struct {
	fill      string
	align     byte
	sign      byte
	alt, zero bool
	width     int
	group     byte
	prec      int // -1 when not given
	typ       byte
}

func parseFmtSpec(spec string) (fmtSpec, error) {
	f := fmtSpec{fill: " ", prec: -1}
	rest := spec
	if r, w := utf8.DecodeRuneInString(rest); w > 0 && len(rest) > w && strings.IndexByte("<>=^", rest[w]) >= 0 {
		f.fill, f.align, rest = string(r), rest[w], rest[w+1:]
	} else if rest != "" && strings.IndexByte("<>=^", rest[0]) >= 0 {
		f.align, rest = rest[0], rest[1:]
	}
	if rest != "" && strings.IndexByte("+- ", rest[0]) >= 0 {
		f.sign, rest = rest[0], rest[1:]
	}
	if strings.HasPrefix(rest, "#") {
		f.alt, rest = true, rest[1:]
	}
	if strings.HasPrefix(rest, "0") {
		f.zero, rest = true, rest[1:]
	}
	digits := len(rest) - len(strings.TrimLeft(rest, "0123456789"))
	if digits > 0 {
		f.width, _ = strconv.Atoi(rest[:digits])
		rest = rest[digits:]
	}
	if rest != "" && (rest[0] == ',' || rest[0] == '_') {
		f.group, rest = rest[0], rest[1:]
	}
	if strings.HasPrefix(rest, ".") {
		digits := len(rest[1:]) - len(strings.TrimLeft(rest[1:], "0123456789"))
		if digits == 0 {
			return f, errors.New("format specifier missing precision")
		}
		f.prec, _ = strconv.Atoi(rest[1 : 1+digits])
		rest = rest[1+digits:]
	}
	if len(rest) > 1 {
		return f, fmt.Errorf("invalid format specifier '%s'", spec)
	}
	if rest != "" {
		f.typ = rest[0]
	}
	if f.width > 1<<16 || f.prec > 1<<10 {
		return f, fmt.Errorf("format width or precision too large: '%s'", spec)
	}
	return f, nil
}

// formatSpec formats one value as Python's format(v, spec).
func formatSpec(v any, spec string) (string, error) {
	if spec == "" {
		return pyStr(v), nil
	}
	f, err := parseFmtSpec(spec)
	if err != nil {
		return "", err
	}
	if s, ok := v.(string); ok {
		if f.typ != 0 && f.typ != 's' {
			return "", fmt.Errorf("unknown format code '%c' for object of type 'str'", f.typ)
		}
		if f.prec >= 0 && utf8.RuneCountInString(s) > f.prec {
			s = string([]rune(s)[:f.prec])
		}
		return f.pad(s, "", '<'), nil
	}
	if !isNumber(v) {
		if _, isBool := v.(bool); !isBool {
			return "", fmt.Errorf("unsupported format string passed to %s.__format__", typeName(v))
		}
	}
	return f.number(v)
}

// pad aligns body (after its sign) to the width; def is the type's
// default alignment.
func (f fmtSpec) pad(body, sign string, def byte) string {
	align, fill := f.align, f.fill
	if align == 0 && f.zero {
		align, fill = '=', "0"
	}
	if align == 0 {
		align = def
	}
	if align == '=' {
		marg := f.width - utf8.RuneCountInString(sign+body)
		if marg > 0 {
			body = strings.Repeat(fill, marg) + body
		}
		return sign + body
	}
	return pad(sign+body, f.width, fill, align)
}

func (f fmtSpec) number(v any) (string, error) {
	i, fl, isInt, _ := number(v)
	typ := f.typ
	if typ != 0 && (strings.IndexByte("bcdoxXneEfFgG%", typ) < 0 || (!isInt && strings.IndexByte("bcdoxX", typ) >= 0)) {
		return "", fmt.Errorf("unknown format code '%c' for object of type '%s'", typ, typeName(v))
	}
	if isInt && strings.IndexByte("eEfFgG%", typ) >= 0 {
		isInt = false
		fl = float64(i)
	}
	neg := (isInt && i < 0) || (!isInt && math.Signbit(fl))
	var body string
	if isInt {
		body = f.intBody(i, typ)
	} else {
		body = f.floatBody(math.Abs(fl), typ)
	}
	sign := ""
	switch {
	case neg:
		sign = "-"
	case f.sign == '+':
		sign = "+"
	case f.sign == ' ':
		sign = " "
	}
	return f.pad(body, sign, '>'), nil
}

func (f fmtSpec) intBody(i int, typ byte) string {
	if i < 0 {
		i = -i
	}
	prefix := ""
	var s string
	switch typ {
	case 'b':
		s, prefix = strconv.FormatInt(int64(i), 2), "0b"
	case 'o':
		s, prefix = strconv.FormatInt(int64(i), 8), "0o"
	case 'x':
		s, prefix = strconv.FormatInt(int64(i), 16), "0x"
	case 'X':
		s, prefix = strings.ToUpper(strconv.FormatInt(int64(i), 16)), "0X"
	case 'c':
		return string(rune(i))
	default:
		s = strconv.Itoa(i)
	}
	if f.group != 0 {
		s = groupDigits(s, f.group)
	}
	if f.alt {
		return prefix + s
	}
	return s
}

func (f fmtSpec) floatBody(x float64, typ byte) string {
	prec := f.prec
	var s string
	switch typ {
	case 'f', 'F':
		s = strconv.FormatFloat(x, 'f', precOr(prec, 6), 64)
	case 'e', 'E':
		s = strconv.FormatFloat(x, 'e', precOr(prec, 6), 64)
	case 'g', 'G':
		s = strconv.FormatFloat(x, 'g', max(precOr(prec, 6), 1), 64)
	case '%':
		s = strconv.FormatFloat(x*100, 'f', precOr(prec, 6), 64) + "%"
	default:
		if prec < 0 {
			s = pyFloat(x)
		} else {
			s = strconv.FormatFloat(x, 'g', max(prec, 1), 64)
		}
	}
	if typ == 'E' || typ == 'G' || typ == 'F' {
		s = strings.ToUpper(s)
	}
	if f.group != 0 {
		intPart, frac, _ := strings.Cut(s, ".")
		if frac != "" {
			frac = "." + frac
		}
		s = groupDigits(intPart, f.group) + frac
	}
	return s
}

func precOr(p, def int) int {
	if p < 0 {
		return def
	}
	return p
}

func groupDigits(s string, sep byte) string {
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	lead := len(s) % 3
	if lead > 0 {
		b.WriteString(s[:lead])
	}
	for i := lead; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(sep)
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}
