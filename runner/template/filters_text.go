package template

import (
	"crypto/sha1"
	"errors"
	"fmt"
	"github.com/ferry-sh/ferry/internal/humansize"
	"math"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Text, number and path filters of Ansible (comment, human_readable,
// expanduser, splitext, to_uuid...) and Jinja (truncate, wordcount,
// urlencode). Path filters run on the controller, as Ansible's do.

func textFilters() map[string]filterSpec {
	return map[string]filterSpec{
		"comment":        {fn: fComment},
		"human_readable": {fn: fHumanReadable},
		"human_to_bytes": {fn: fHumanToBytes},
		"expanduser":     {fn: stringFilter(expandUser)},
		"expandvars":     {fn: stringFilter(expandVars)},
		"realpath":       {fn: stringFilter(realPath)},
		"relpath":        {fn: fRelPath},
		"splitext":       {fn: fSplitExt},
		"to_uuid":        {fn: fToUUID},
		"truncate":       {fn: fTruncate},
		"wordcount":      {fn: func(in any, a *fargs) (any, error) { return len(wordRe.FindAllString(pyStr(in), -1)), a.expect(0) }},
		"center":         {fn: fCenter},
		"urlencode":      {fn: fURLEncode},
		"urldecode":      {fn: stringFilter(unquotePlus)},
		"log":            {fn: fLog},
		"pow":            {fn: fPow},
		"root":           {fn: fRoot},
		"password_hash":  {fn: fPasswordHash},
	}
}

// commentStyles are the styles of Ansible's comment filter.
var commentStyles = map[string]map[string]string{
	"plain":  {"decoration": "# "},
	"erlang": {"decoration": "% "},
	"c":      {"decoration": "// "},
	"cblock": {"beginning": "/*", "decoration": " * ", "end": " */"},
	"xml":    {"beginning": "<!--", "decoration": " - ", "end": "-->"},
}

// fComment is Ansible's comment(style='plain', **kw): the text as a
// comment block, each line decorated, with a prefix and postfix line.
func fComment(in any, a *fargs) (any, error) {
	if err := a.expect(1, "style", "decoration", "beginning", "prefix", "prefix_count",
		"postfix", "postfix_count", "end", "newline"); err != nil {
		return nil, err
	}
	style, err := a.str(0, "style", "plain")
	if err != nil {
		return nil, err
	}
	styleParams, ok := commentStyles[style]
	if !ok {
		return nil, fmt.Errorf("unknown comment style '%s' (plain, erlang, c, cblock, xml)", style)
	}
	deco := styleParams["decoration"]
	if d, ok := a.get(-1, "decoration"); ok {
		deco = pyStr(d)
	}
	p := map[string]any{"newline": "\n", "beginning": "", "prefix": strings.TrimRight(deco, " \t\n"),
		"prefix_count": 1, "decoration": "", "postfix": strings.TrimRight(deco, " \t\n"), "postfix_count": 1, "end": ""}
	for k, v := range styleParams {
		p[k] = v
	}
	for _, kw := range a.kw {
		p[kw.name] = kw.val
	}
	return commentText(pyStr(in), p)
}

func commentText(text string, p map[string]any) (string, error) {
	nl, beginning, prefix := pyStr(p["newline"]), pyStr(p["beginning"]), pyStr(p["prefix"])
	deco, postfix, end := pyStr(p["decoration"]), pyStr(p["postfix"]), pyStr(p["end"])
	prefixCount, err1 := countArg(p["prefix_count"])
	postfixCount, err2 := countArg(p["postfix_count"])
	if err := errors.Join(err1, err2); err != nil {
		return "", err
	}
	var b strings.Builder
	if truthy(p["beginning"]) {
		b.WriteString(beginning + nl)
	}
	if truthy(p["prefix"]) {
		line := prefix + nl
		if prefix == nl {
			line = nl
		}
		b.WriteString(strings.Repeat(line, prefixCount))
	}
	body := deco + strings.ReplaceAll(text, nl, nl+deco)
	b.WriteString(strings.ReplaceAll(body, deco+nl, strings.TrimRight(deco, " \t\n")+nl))
	for range postfixCount {
		b.WriteString(nl + postfix)
	}
	if truthy(p["end"]) {
		b.WriteString(nl + end)
	}
	if b.Len() > maxStringLen {
		return "", errTooLong
	}
	return b.String(), nil
}

func countArg(v any) (int, error) {
	n, err := fInt(v, &fargs{})
	if i, ok := n.(int); ok && err == nil && i >= 0 && i <= 1024 {
		return i, nil
	}
	return 0, fmt.Errorf("a count must be an integer from 0 to 1024, not %s", pyRepr(v))
}

// fHumanReadable is Ansible's human_readable(isbits=False, unit=None).
func fHumanReadable(in any, a *fargs) (any, error) {
	if err := a.expect(2, "isbits", "unit"); err != nil {
		return nil, err
	}
	_, size, _, ok := number(in)
	if !ok {
		return nil, fmt.Errorf("human_readable() failed on bad input: '%s' is not a number", typeName(in))
	}
	unit, hasUnit := a.get(1, "unit")
	hasUnit = hasUnit && unit != nil
	base := "Bytes"
	if a.flag(0, "isbits") {
		base = "bits"
	}
	suffix, limit := "", 1.0
	for _, r := range humansize.Ranges {
		suffix, limit = r.Unit, r.Limit
		if (!hasUnit && size >= limit) || hasUnit && strings.ToUpper(pyStr(unit)) == r.Unit[:1] {
			break
		}
	}
	if limit != 1 {
		suffix += base[:1]
	} else {
		suffix = base
	}
	return fmt.Sprintf("%.2f %s", size/limit, suffix), nil
}

// fHumanToBytes is Ansible's human_to_bytes(default_unit=None,
// isbits=False): '10M' is 10485760.
func fHumanToBytes(in any, a *fargs) (any, error) {
	if err := a.expect(2, "default_unit", "isbits"); err != nil {
		return nil, err
	}
	s, defaultUnit := pyStr(in), ""
	if d, ok := a.get(0, "default_unit"); ok && d != nil {
		defaultUnit = pyStr(d)
	}
	n, ok := humansize.ToBytes(s, defaultUnit, a.flag(1, "isbits"))
	if !ok {
		return nil, fmt.Errorf("human_to_bytes() can't interpret following string: %s", s)
	}
	return roundHalfEven(n)
}

// roundHalfEven is Python's int(round(f)).
func roundHalfEven(f float64) (any, error) {
	r := math.RoundToEven(f)
	if math.IsInf(r, 0) || math.IsNaN(r) || math.Abs(r) >= 1<<63 {
		return nil, fmt.Errorf("%s does not fit in an integer", pyFloat(f))
	}
	return int(r), nil
}

// expandUser is Python's os.path.expanduser on the controller.
func expandUser(p string) string {
	if !strings.HasPrefix(p, "~") {
		return p
	}
	i := strings.IndexByte(p, '/')
	if i < 0 {
		i = len(p)
	}
	var home string
	if i == 1 {
		var ok bool
		if home, ok = os.LookupEnv("HOME"); !ok {
			u, err := user.Current()
			if err != nil {
				return p
			}
			home = u.HomeDir
		}
	} else {
		u, err := user.Lookup(p[1:i])
		if err != nil {
			return p
		}
		home = u.HomeDir
	}
	home = strings.TrimRight(home, "/")
	if out := home + p[i:]; out != "" {
		return out
	}
	return "/"
}

var envRef = regexp.MustCompile(`\$(\w+|\{[^}]*\})`)

// expandVars is Python's os.path.expandvars on the controller: unknown
// variables are left as they are.
func expandVars(p string) string {
	return envRef.ReplaceAllStringFunc(p, func(ref string) string {
		name := strings.TrimSuffix(strings.TrimPrefix(ref[1:], "{"), "}")
		if v, ok := os.LookupEnv(name); ok {
			return v
		}
		return ref
	})
}

// realPath is Python's os.path.realpath: links resolved as far as the path
// exists, the rest joined on.
func realPath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	rest := ""
	for cur := abs; ; {
		if resolved, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(resolved, rest)
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return abs
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}

// fRelPath is Python's os.path.relpath(path, start='.').
func fRelPath(in any, a *fargs) (any, error) {
	if err := a.expect(1, "start"); err != nil {
		return nil, err
	}
	start, err := a.str(0, "start", ".")
	if err != nil {
		return nil, err
	}
	p := pyStr(in)
	if p == "" {
		return nil, errors.New("no path specified")
	}
	absP, err1 := filepath.Abs(p)
	absStart, err2 := filepath.Abs(start)
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	return filepath.Rel(absStart, absP)
}

// fSplitExt is Python's os.path.splitext: [root, ext], where a name's
// leading dots do not start an extension.
func fSplitExt(in any, a *fargs) (any, error) {
	p := pyStr(in)
	dot := strings.LastIndexByte(p, '.')
	base := strings.LastIndexByte(p, '/') + 1
	if dot > base && strings.Trim(p[base:dot], ".") != "" {
		return []any{p[:dot], p[dot:]}, a.expect(0)
	}
	return []any{p, ""}, a.expect(0)
}

// uuidNamespaceAnsible is Ansible's UUID_NAMESPACE_ANSIBLE.
const uuidNamespaceAnsible = "361e6d51-faec-444a-9079-341386da8e2e"

// fToUUID is Ansible's to_uuid(namespace): a name-based (version 5) UUID.
func fToUUID(in any, a *fargs) (any, error) {
	if err := a.expect(1, "namespace"); err != nil {
		return nil, err
	}
	ns, err := a.str(0, "namespace", uuidNamespaceAnsible)
	if err != nil {
		return nil, err
	}
	nsBytes, ok := parseUUID(ns)
	if !ok {
		return nil, fmt.Errorf("Invalid value '%s' for 'namespace': badly formed hexadecimal UUID string", ns)
	}
	h := sha1.Sum(append(nsBytes, pyStr(in)...))
	u := h[:16]
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16]), nil
}

// parseUUID reads a UUID as Python's uuid.UUID(hex) does: braces, hyphens
// and a urn:uuid: prefix are ignored.
func parseUUID(s string) ([]byte, bool) {
	s = strings.TrimPrefix(strings.ReplaceAll(s, "urn:", ""), "uuid:")
	s = strings.ReplaceAll(strings.Trim(s, "{}"), "-", "")
	if len(s) != 32 {
		return nil, false
	}
	out := make([]byte, 16)
	for i := range out {
		var b byte
		if _, err := fmt.Sscanf(s[2*i:2*i+2], "%02x", &b); err != nil {
			return nil, false
		}
		out[i] = b
	}
	return out, true
}

// fTruncate is Jinja's truncate(length=255, killwords=False, end='...',
// leeway=5).
func fTruncate(in any, a *fargs) (any, error) {
	if err := a.expect(4, "length", "killwords", "end", "leeway"); err != nil {
		return nil, err
	}
	length, err1 := a.integer(0, "length", 255)
	end, err2 := a.str(2, "end", "...")
	leeway, err3 := a.integer(3, "leeway", 5)
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, err
	}
	endLen := utf8.RuneCountInString(end)
	if length < endLen || leeway < 0 {
		return nil, fmt.Errorf("expected length >= %d and leeway >= 0, got %d and %d", endLen, length, leeway)
	}
	r := []rune(pyStr(in))
	if len(r) <= length+leeway {
		return string(r), nil
	}
	head := string(r[:length-endLen])
	if a.flag(1, "killwords") {
		return head + end, nil
	}
	if i := strings.LastIndexByte(head, ' '); i >= 0 {
		head = head[:i]
	}
	return head + end, nil
}

var wordRe = regexp.MustCompile(`[\p{L}\p{N}_]+`)

// fCenter is Jinja's center(width=80).
func fCenter(in any, a *fargs) (any, error) {
	if err := a.expect(1, "width"); err != nil {
		return nil, err
	}
	width, err := a.integer(0, "width", 80)
	if err != nil {
		return nil, err
	}
	return justify(pyStr(in), "center", []any{width})
}

// fURLEncode is Jinja's urlencode: a string quoted for a URL path, or a
// dict or list of pairs as a query string.
func fURLEncode(in any, a *fargs) (any, error) {
	if err := a.expect(0); err != nil {
		return nil, err
	}
	var pairs [][2]any
	if m, ok := asMap(in); ok {
		for _, k := range dictKeys(m) {
			pairs = append(pairs, [2]any{k, m[k]})
		}
	} else if l, ok := asList(in); ok {
		for _, item := range l {
			kv, ok := asList(item)
			if !ok || len(kv) != 2 {
				return nil, fmt.Errorf("urlencode expects a string, a dict or a list of pairs, got the item %s", pyRepr(item))
			}
			pairs = append(pairs, [2]any{kv[0], kv[1]})
		}
	} else {
		return urlQuote(pyStr(in), false), nil
	}
	parts := make([]string, len(pairs))
	for i, kv := range pairs {
		parts[i] = urlQuote(pyStr(kv[0]), true) + "=" + urlQuote(pyStr(kv[1]), true)
	}
	return strings.Join(parts, "&"), nil
}

// urlQuote is Jinja's url_quote: Python's quote with "/" safe in a path,
// and spaces as + in a query string.
func urlQuote(s string, forQuery bool) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("_.-~", c) >= 0:
			b.WriteByte(c)
		case c == '/' && !forQuery:
			b.WriteByte(c)
		case c == ' ' && forQuery:
			b.WriteByte('+')
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// unquotePlus is Python's urllib.parse.unquote_plus: + is a space, bad
// escapes stay as they are, bytes that are not UTF-8 become U+FFFD.
func unquotePlus(s string) string {
	s = strings.ReplaceAll(s, "+", " ")
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			var v byte
			fmt.Sscanf(s[i+1:i+3], "%02x", &v)
			b = append(b, v)
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// floatOperand is a math filter's number as a float.
func floatOperand(name string, v any) (float64, error) {
	_, f, _, ok := number(v)
	if !ok {
		return 0, fmt.Errorf("%s() can only be used on numbers, not '%s'", name, typeName(v))
	}
	return f, nil
}

// fLog is Ansible's log(base=e).
func fLog(in any, a *fargs) (any, error) {
	if err := a.expect(1, "base"); err != nil {
		return nil, err
	}
	x, err := floatOperand("log", in)
	if err != nil {
		return nil, err
	}
	base, err := floatOperand("log", a.or(0, "base", math.E))
	if err != nil {
		return nil, err
	}
	if x <= 0 || base <= 0 || base == 1 {
		return nil, errors.New("math domain error")
	}
	if base == 10 {
		return math.Log10(x), nil
	}
	return math.Log(x) / math.Log(base), nil
}

// fPow is Ansible's pow(y): math.pow, always a float.
func fPow(in any, a *fargs) (any, error) {
	if err := a.expect(1, "y"); err != nil {
		return nil, err
	}
	x, err1 := floatOperand("pow", in)
	y, err2 := floatOperand("pow", a.or(0, "y", nil))
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	r := math.Pow(x, y)
	if math.IsNaN(r) {
		return nil, errors.New("math domain error")
	}
	return r, nil
}

// fRoot is Ansible's root(base=2): the square root, or x ** (1/base).
func fRoot(in any, a *fargs) (any, error) {
	if err := a.expect(1, "base"); err != nil {
		return nil, err
	}
	x, err1 := floatOperand("root", in)
	base, err2 := floatOperand("root", a.or(0, "base", 2))
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	if x < 0 {
		return nil, errors.New("math domain error")
	}
	if base == 2 {
		return math.Sqrt(x), nil
	}
	return math.Pow(x, 1/base), nil
}
