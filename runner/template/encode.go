package template

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/ferry-sh/ferry/internal/pyre"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/ferry-sh/ferry/internal/anylist"
)

// writeJSON encodes v like Python's json.dumps with ensure_ascii, dict keys
// in insertion order or sorted (sort_keys). indent < 0 means one line with
// ", " and ": " separators (to_json); otherwise one item per line
// (to_nice_json).
func writeJSON(b *strings.Builder, v any, indent, depth int, sorted bool) error {
	if depth > maxDepth {
		return fmt.Errorf("value nested too deeply to encode")
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
		return nil
	case bool:
		b.WriteString(strconv.FormatBool(x))
		return nil
	case string:
		writeJSONString(b, x)
		return nil
	case *undefined:
		return x.err()
	case *big.Int:
		b.WriteString(x.String())
		return nil
	}
	if i, f, isInt, ok := number(v); ok {
		if isInt {
			b.WriteString(strconv.Itoa(i))
		} else {
			b.WriteString(map[string]string{"inf": "Infinity", "-inf": "-Infinity", "nan": "NaN"}[pyFloat(f)] + pyFloatOrEmpty(f))
		}
		return nil
	}
	if l, ok := asList(v); ok {
		return writeJSONItems(b, "[]", len(l), indent, depth, func(i int) error {
			return writeJSON(b, l[i], indent, depth+1, sorted)
		})
	}
	if m, ok := asMap(v); ok {
		keys := dictKeys(m)
		if sorted {
			slices.Sort(keys)
		}
		return writeJSONItems(b, "{}", len(keys), indent, depth, func(i int) error {
			writeJSONString(b, keys[i])
			b.WriteString(": ")
			return writeJSON(b, m[keys[i]], indent, depth+1, sorted)
		})
	}
	return fmt.Errorf("cannot encode a value of type %T as JSON", v)
}

func pyFloatOrEmpty(f float64) string {
	s := pyFloat(f)
	if s == "inf" || s == "-inf" || s == "nan" {
		return ""
	}
	return s
}

func writeJSONItems(b *strings.Builder, brackets string, n, indent, depth int, item func(int) error) error {
	b.WriteByte(brackets[0])
	if n == 0 {
		b.WriteByte(brackets[1])
		return nil
	}
	for i := 0; i < n; i++ {
		switch {
		case indent >= 0:
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("\n" + strings.Repeat(" ", indent*(depth+1)))
		case i > 0:
			b.WriteString(", ")
		}
		if err := item(i); err != nil {
			return err
		}
		if b.Len() > maxStringLen {
			return errTooLong
		}
	}
	if indent >= 0 {
		b.WriteString("\n" + strings.Repeat(" ", indent*depth))
	}
	b.WriteByte(brackets[1])
	return nil
}

func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == utf8.RuneError:
			fmt.Fprintf(b, `\u%04x`, r)
		case r < 0x7f:
			b.WriteRune(r)
		case r > 0xffff:
			r -= 0x10000
			fmt.Fprintf(b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		default:
			fmt.Fprintf(b, `\u%04x`, r)
		}
	}
	b.WriteByte('"')
}

func fToJSON(in any, a *fargs) (any, error) {
	if err := a.expect(0, "indent", "sort_keys"); err != nil {
		return nil, err
	}
	indent, err := a.integer(-1, "indent", -1)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	err = writeJSON(&b, in, min(indent, 64), 0, a.flag(-1, "sort_keys"))
	return b.String(), err
}

func fToNiceJSON(in any, a *fargs) (any, error) {
	if err := a.expect(0, "indent", "sort_keys"); err != nil {
		return nil, err
	}
	indent, err := a.integer(-1, "indent", 4)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	err = writeJSON(&b, in, min(max(indent, 0), 64), 0, truthy(a.or(-1, "sort_keys", true)))
	return b.String(), err
}

func fFromJSON(in any, a *fargs) (any, error) {
	v, err := decodeJSON(pyStr(in))
	if err != nil {
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	return v, nil
}

// fromJSONNumbers turns json.Number into int or float64, as Python would.
func fromJSONNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return int(i)
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = fromJSONNumbers(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = fromJSONNumbers(x[k])
		}
	}
	return v
}

func fToYAML(defIndent int) filterFunc {
	return func(in any, a *fargs) (any, error) {
		if err := a.expect(0, "indent", "default_flow_style", "sort_keys", "width"); err != nil {
			return nil, err
		}
		indent, err := a.integer(-1, "indent", defIndent)
		if err != nil {
			return nil, err
		}
		if err := defined(in); err != nil {
			return nil, err
		}
		var doc yaml.Node
		if err := doc.Encode(in); err != nil {
			return nil, fmt.Errorf("cannot encode as YAML: %v", err)
		}
		if style, given := a.get(-1, "default_flow_style"); defIndent == 2 && (!given || style == nil) {
			flowLeaves(&doc, 0)
		}
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(min(max(indent, 2), 16))
		if err := enc.Encode(&doc); err != nil {
			return nil, fmt.Errorf("cannot encode as YAML: %v", err)
		}
		return buf.String(), enc.Close()
	}
}

// flowLeaves writes the lists and dicts that hold only scalars in flow
// style ([1, 2], {a: 1}), as to_yaml's PyYAML does by default
// (default_flow_style=None); to_nice_yaml writes every one as a block.
func flowLeaves(n *yaml.Node, depth int) {
	if depth > maxDepth {
		return
	}
	leaf := true
	for _, c := range n.Content {
		flowLeaves(c, depth+1)
		leaf = leaf && c.Kind == yaml.ScalarNode
	}
	if (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode) && leaf {
		n.Style = yaml.FlowStyle
	}
}

func fFromYAML(in any, a *fargs) (any, error) {
	v, err := decodeYAML(pyStr(in))
	if err != nil {
		return nil, fmt.Errorf("invalid YAML: %v", err)
	}
	return v, nil
}

// Compiled regular expressions are cached by pattern; the cache stops
// growing at maxCached entries (patterns built per host are rare).
var (
	regexCache sync.Map
	regexCount atomic.Int64
)

const maxCached = 4096

// compileRegex compiles a Python-style pattern with Ansible's ignorecase and
// multiline options. Go's RE2 is linear-time, so no input can make it hang;
// it lacks look-arounds and backreferences, which are reported as errors.
func compileRegex(pattern string, ignoreCase, multiline bool) (*regexp.Regexp, error) {
	flags := ""
	if ignoreCase {
		flags += "i"
	}
	if multiline {
		flags += "m"
	}
	key := flags + "/" + pattern
	if re, ok := regexCache.Load(key); ok {
		return re.(*regexp.Regexp), nil
	}
	src := pattern
	if flags != "" {
		src = "(?" + flags + ")" + pattern
	}
	re, err := pyre.Compile(src)
	if err != nil {
		return nil, fmt.Errorf("invalid regular expression %s: %v", pyRepr(pattern), err)
	}
	if regexCount.Add(1) <= maxCached {
		regexCache.Store(key, re)
	}
	return re, nil
}

func regexArg(a *fargs, i int, name string) (*regexp.Regexp, error) {
	pattern, err := a.str(i, name, "")
	if err != nil {
		return nil, err
	}
	return compileRegex(pattern, a.flag(-1, "ignorecase"), a.flag(-1, "multiline"))
}

// fRegexSearch returns the first match, or with '\\1' / '\\g<name>'
// arguments the list of those groups; None when nothing matches.
func fRegexSearch(in any, a *fargs) (any, error) {
	if err := a.expect(-1, "ignorecase", "multiline"); err != nil {
		return nil, err
	}
	re, err := regexArg(a, 0, "pattern")
	if err != nil {
		return nil, err
	}
	s := pyStr(in)
	m := re.FindStringSubmatchIndex(s)
	if m == nil {
		return nil, nil
	}
	if len(a.pos) <= 1 {
		return s[m[0]:m[1]], nil
	}
	var out []any
	for _, g := range a.pos[1:] {
		ref, _ := g.(string)
		idx := groupIndex(re, ref)
		if idx < 0 {
			return nil, fmt.Errorf("unknown group reference %s", pyRepr(g))
		}
		if m[2*idx] < 0 {
			out = append(out, nil)
		} else {
			out = append(out, s[m[2*idx]:m[2*idx+1]])
		}
	}
	return out, nil
}

// groupIndex resolves '\\1' or '\\g<name>' to a submatch index.
func groupIndex(re *regexp.Regexp, ref string) int {
	switch {
	case strings.HasPrefix(ref, `\g<`) && strings.HasSuffix(ref, ">"):
		name := ref[3 : len(ref)-1]
		if n, err := strconv.Atoi(name); err == nil && n <= re.NumSubexp() {
			return n
		}
		return re.SubexpIndex(name)
	case strings.HasPrefix(ref, `\`):
		if n, err := strconv.Atoi(ref[1:]); err == nil && n >= 0 && n <= re.NumSubexp() {
			return n
		}
	}
	return -1
}

func fRegexReplace(in any, a *fargs) (any, error) {
	if err := a.expect(3, "pattern", "replacement", "ignorecase", "multiline", "count"); err != nil {
		return nil, err
	}
	re, err := regexArg(a, 0, "pattern")
	if err != nil {
		return nil, err
	}
	repl, err := a.str(1, "replacement", "")
	if err != nil {
		return nil, err
	}
	count, err := a.integer(2, "count", 0)
	if err != nil {
		return nil, err
	}
	goRepl := pyre.Replacement(repl)
	s := pyStr(in)
	n := 0
	var b strings.Builder
	last := 0
	for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
		if count > 0 && n >= count {
			break
		}
		b.WriteString(s[last:m[0]])
		b.Write(re.ExpandString(nil, goRepl, s, m))
		last = m[1]
		n++
		if b.Len() > maxStringLen {
			return nil, errTooLong
		}
	}
	b.WriteString(s[last:])
	return b.String(), nil
}

// fRegexFindall is Python's re.findall: whole matches, or the group when
// there is one, or lists of groups when there are several.
func fRegexFindall(in any, a *fargs) (any, error) {
	if err := a.expect(1, "pattern", "ignorecase", "multiline"); err != nil {
		return nil, err
	}
	re, err := regexArg(a, 0, "pattern")
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, m := range re.FindAllStringSubmatch(pyStr(in), -1) {
		switch len(m) {
		case 1:
			out = append(out, m[0])
		case 2:
			out = append(out, m[1])
		default:
			out = append(out, anylist.Of(m[1:]))
		}
	}
	return out, nil
}

func regexEscape(s string) string { return regexp.QuoteMeta(s) }
