package template

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ferry-sh/ferry/internal/anylist"
)

// Python string methods beyond the basic ones of methods.go, with Python's
// semantics: indexes count characters (not bytes), find returns -1 where
// index fails, split and rsplit take maxsplit.

// strMethods are the methods handled here.
var strMethods = map[string]func(s string, args []any) (any, error){
	"find":         func(s string, a []any) (any, error) { return findIn(s, "find", a, false) },
	"rfind":        func(s string, a []any) (any, error) { return findIn(s, "rfind", a, true) },
	"index":        func(s string, a []any) (any, error) { return indexIn(s, "index", a, false) },
	"rindex":       func(s string, a []any) (any, error) { return indexIn(s, "rindex", a, true) },
	"count":        strCount,
	"rsplit":       func(s string, a []any) (any, error) { return pySplit(s, "rsplit", a, true) },
	"zfill":        strZfill,
	"ljust":        func(s string, a []any) (any, error) { return justify(s, "ljust", a) },
	"rjust":        func(s string, a []any) (any, error) { return justify(s, "rjust", a) },
	"center":       func(s string, a []any) (any, error) { return justify(s, "center", a) },
	"title":        noArgs("title", title),
	"swapcase":     noArgs("swapcase", swapCase),
	"casefold":     noArgs("casefold", strings.ToLower),
	"partition":    func(s string, a []any) (any, error) { return partition(s, "partition", a, false) },
	"rpartition":   func(s string, a []any) (any, error) { return partition(s, "rpartition", a, true) },
	"removeprefix": func(s string, a []any) (any, error) { return trimAffix(s, "removeprefix", a, strings.TrimPrefix) },
	"removesuffix": func(s string, a []any) (any, error) { return trimAffix(s, "removesuffix", a, strings.TrimSuffix) },
	"isdigit":      charClass("isdigit", unicode.IsDigit),
	"isdecimal":    charClass("isdecimal", unicode.IsDigit),
	"isnumeric":    charClass("isnumeric", unicode.IsNumber),
	"isalpha":      charClass("isalpha", unicode.IsLetter),
	"isalnum":      charClass("isalnum", func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }),
	"isspace":      charClass("isspace", unicode.IsSpace),
	"islower":      casedClass("islower", unicode.IsUpper),
	"isupper":      casedClass("isupper", unicode.IsLower),
	"istitle":      strIsTitle,
}

func init() {
	for name := range strMethods {
		methods[name] = true
	}
	methods["format"] = true
	for _, name := range dateMethods {
		methods[name] = true
	}
}

func noArgs(name string, f func(string) string) func(string, []any) (any, error) {
	return func(s string, a []any) (any, error) {
		if err := argCount(name, a, 0, 0); err != nil {
			return nil, err
		}
		return f(s), nil
	}
}

// charClass is isdigit and friends: true when s is not empty and every
// character is in the class.
func charClass(name string, in func(rune) bool) func(string, []any) (any, error) {
	return func(s string, a []any) (any, error) {
		if err := argCount(name, a, 0, 0); err != nil {
			return nil, err
		}
		return s != "" && strings.IndexFunc(s, func(r rune) bool { return !in(r) }) < 0, nil
	}
}

// casedClass is islower/isupper: at least one cased character and none of
// the other case.
func casedClass(name string, other func(rune) bool) func(string, []any) (any, error) {
	return func(s string, a []any) (any, error) {
		if err := argCount(name, a, 0, 0); err != nil {
			return nil, err
		}
		cased := strings.IndexFunc(s, func(r rune) bool { return unicode.IsUpper(r) || unicode.IsLower(r) }) >= 0
		return cased && strings.IndexFunc(s, other) < 0, nil
	}
}

func strIsTitle(s string, a []any) (any, error) {
	if err := argCount("istitle", a, 0, 0); err != nil {
		return nil, err
	}
	cased := strings.IndexFunc(s, func(r rune) bool { return unicode.IsUpper(r) || unicode.IsLower(r) }) >= 0
	return cased && s == title(s), nil
}

func swapCase(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsUpper(r) {
			return unicode.ToLower(r)
		}
		return unicode.ToUpper(r)
	}, s)
}

// intArg returns optional argument i as an int (None counts as absent).
func intArg(name string, args []any, i int) (int, bool, error) {
	if i >= len(args) || args[i] == nil {
		return 0, false, nil
	}
	n, _, isInt, ok := number(args[i])
	if !ok || !isInt {
		return 0, false, fmt.Errorf("%s() expects an integer argument, not '%s'", name, typeName(args[i]))
	}
	return n, true, nil
}

// window resolves Python's optional start and end arguments (negative
// counts from the end) to rune offsets within n characters.
func window(name string, args []any, n int) (int, int, error) {
	start, end := 0, n
	clamp := func(i int) int {
		if i < 0 {
			i += n
		}
		return min(max(i, 0), n)
	}
	if v, ok, err := intArg(name, args, 0); err != nil {
		return 0, 0, err
	} else if ok {
		start = clamp(v)
	}
	if v, ok, err := intArg(name, args, 1); err != nil {
		return 0, 0, err
	} else if ok {
		end = clamp(v)
	}
	return start, end, nil
}

// findIn is find/rfind: the character index of sub, or -1.
func findIn(s, name string, args []any, last bool) (any, error) {
	if err := argCount(name, args, 1, 3); err != nil {
		return nil, err
	}
	sub, err := strArg(name, args[0])
	if err != nil {
		return nil, err
	}
	r := []rune(s)
	start, end, err := window(name, args[1:], len(r))
	if err != nil {
		return nil, err
	}
	if start > end {
		return -1, nil
	}
	hay := string(r[start:end])
	var at int
	if last {
		at = strings.LastIndex(hay, sub)
	} else {
		at = strings.Index(hay, sub)
	}
	if at < 0 {
		return -1, nil
	}
	return start + utf8.RuneCountInString(hay[:at]), nil
}

func indexIn(s, name string, args []any, last bool) (any, error) {
	i, err := findIn(s, name, args, last)
	if err != nil {
		return nil, err
	}
	if i == -1 {
		return nil, errors.New("substring not found")
	}
	return i, nil
}

func strCount(s string, args []any) (any, error) {
	if err := argCount("count", args, 1, 3); err != nil {
		return nil, err
	}
	sub, err := strArg("count", args[0])
	if err != nil {
		return nil, err
	}
	r := []rune(s)
	start, end, err := window("count", args[1:], len(r))
	if err != nil {
		return nil, err
	}
	if start > end {
		return 0, nil
	}
	hay := string(r[start:end])
	if sub == "" {
		return utf8.RuneCountInString(hay) + 1, nil
	}
	return strings.Count(hay, sub), nil
}

// pySplit is str.split / str.rsplit(sep=None, maxsplit=-1).
func pySplit(s, name string, args []any, fromRight bool) (any, error) {
	if err := argCount(name, args, 0, 2); err != nil {
		return nil, err
	}
	maxSplit := -1
	if v, ok, err := intArg(name, args, 1); err != nil {
		return nil, err
	} else if ok {
		maxSplit = v
	}
	if len(args) == 0 || args[0] == nil {
		return anylist.Of(splitWhitespace(s, maxSplit, fromRight)), nil
	}
	sep, err := strArg(name, args[0])
	if err != nil {
		return nil, err
	}
	if sep == "" {
		return nil, errors.New("empty separator")
	}
	if maxSplit < 0 {
		return anylist.Of(strings.Split(s, sep)), nil
	}
	if !fromRight {
		return anylist.Of(strings.SplitN(s, sep, maxSplit+1)), nil
	}
	var parts []string
	for len(parts) < maxSplit {
		i := strings.LastIndex(s, sep)
		if i < 0 {
			break
		}
		parts = append(parts, s[i+len(sep):])
		s = s[:i]
	}
	parts = append(parts, s)
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return anylist.Of(parts), nil
}

// splitWhitespace splits on runs of whitespace; after maxSplit splits the
// rest is one word, stripped only on the side the splitting came from.
func splitWhitespace(s string, maxSplit int, fromRight bool) []string {
	if maxSplit < 0 {
		return strings.Fields(s)
	}
	var out []string
	if !fromRight {
		for s = strings.TrimLeftFunc(s, unicode.IsSpace); s != "" && len(out) < maxSplit; s = strings.TrimLeftFunc(s, unicode.IsSpace) {
			i := strings.IndexFunc(s, unicode.IsSpace)
			if i < 0 {
				break
			}
			out = append(out, s[:i])
			s = s[i:]
		}
		if s != "" {
			out = append(out, s)
		}
		return out
	}
	for s = strings.TrimRightFunc(s, unicode.IsSpace); s != "" && len(out) < maxSplit; s = strings.TrimRightFunc(s, unicode.IsSpace) {
		i := strings.LastIndexFunc(s, unicode.IsSpace)
		if i < 0 {
			break
		}
		_, w := utf8.DecodeRuneInString(s[i:])
		out = append(out, s[i+w:])
		s = s[:i]
	}
	if s != "" {
		out = append(out, s)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// pySplitLines is str.splitlines(): \n, \r\n, \r and Python's other line
// boundaries; no empty last line for a trailing newline.
func pySplitLines(s string, keepEnds ...bool) []string {
	keep := len(keepEnds) > 0 && keepEnds[0]
	var out []string
	for s != "" {
		i := strings.IndexAny(s, "\n\r\v\f\x1c\x1d\x1e\u0085\u2028\u2029")
		if i < 0 {
			out = append(out, s)
			break
		}
		_, w := utf8.DecodeRuneInString(s[i:])
		if s[i] == '\r' && strings.HasPrefix(s[i:], "\r\n") {
			w = 2
		}
		if keep {
			out = append(out, s[:i+w])
		} else {
			out = append(out, s[:i])
		}
		s = s[i+w:]
	}
	return out
}

func strZfill(s string, args []any) (any, error) {
	if err := argCount("zfill", args, 1, 1); err != nil {
		return nil, err
	}
	width, _, err := intArg("zfill", args, 0)
	if err != nil {
		return nil, err
	}
	n := utf8.RuneCountInString(s)
	if width <= n {
		return s, nil
	}
	if width > maxStringLen {
		return nil, errTooLong
	}
	sign := ""
	if s != "" && (s[0] == '+' || s[0] == '-') {
		sign, s = s[:1], s[1:]
	}
	return sign + strings.Repeat("0", width-n) + s, nil
}

func justify(s, name string, args []any) (any, error) {
	if err := argCount(name, args, 1, 2); err != nil {
		return nil, err
	}
	width, _, err := intArg(name, args, 0)
	if err != nil {
		return nil, err
	}
	fill := " "
	if len(args) == 2 {
		if fill, err = strArg(name, args[1]); err != nil {
			return nil, err
		}
		if utf8.RuneCountInString(fill) != 1 {
			return nil, fmt.Errorf("%s(): the fill character must be exactly one character long", name)
		}
	}
	if width > maxStringLen {
		return nil, errTooLong
	}
	return pad(s, width, fill, map[string]byte{"ljust": '<', "rjust": '>', "center": '^'}[name]), nil
}

// pad pads s to width with fill, aligned '<', '>' or '^' (Python's center
// puts the odd character on the right unless the width is odd).
func pad(s string, width int, fill string, align byte) string {
	marg := width - utf8.RuneCountInString(s)
	if marg <= 0 {
		return s
	}
	switch align {
	case '<':
		return s + strings.Repeat(fill, marg)
	case '>':
		return strings.Repeat(fill, marg) + s
	}
	left := marg/2 + (marg & width & 1)
	return strings.Repeat(fill, left) + s + strings.Repeat(fill, marg-left)
}

func partition(s, name string, args []any, last bool) (any, error) {
	if err := argCount(name, args, 1, 1); err != nil {
		return nil, err
	}
	sep, err := strArg(name, args[0])
	if err != nil {
		return nil, err
	}
	if sep == "" {
		return nil, errors.New("empty separator")
	}
	i := strings.Index(s, sep)
	if last {
		i = strings.LastIndex(s, sep)
	}
	switch {
	case i >= 0:
		return []any{s[:i], sep, s[i+len(sep):]}, nil
	case last:
		return []any{"", "", s}, nil
	}
	return []any{s, "", ""}, nil
}

func trimAffix(s, name string, args []any, trim func(string, string) string) (any, error) {
	if err := argCount(name, args, 1, 1); err != nil {
		return nil, err
	}
	affix, err := strArg(name, args[0])
	if err != nil {
		return nil, err
	}
	return trim(s, affix), nil
}

// splitString is Python's str.split(sep), for the split filter.
func splitString(s string, sep any) (any, error) { return pySplit(s, "split", []any{sep}, false) }

// Str formats v as Jinja prints it into text ({{ v }}): Python's str(),
// with reprs inside lists and dicts.
func Str(v any) string { return pyStr(v) }
