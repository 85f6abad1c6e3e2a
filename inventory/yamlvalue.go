package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ferry-sh/ferry/internal/keyorder"
	"github.com/ferry-sh/ferry/internal/rawtext"
	"github.com/ferry-sh/ferry/vault"
)

// posError is an error at a line of a file: "path:line: message".
type posError struct {
	File string
	Line int
	Msg  string
}

func (e *posError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

func errAt(file string, line int, format string, args ...any) error {
	return &posError{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// yamlDoc parses YAML (or JSON) text into a document node, with errors that
// name the file and line.
// Vaulted files are decrypted before (reader.open).
func yamlDoc(file string, data []byte) (node *yaml.Node, err error) {
	defer func() {
		// yaml.v3 has panicked on some malformed inputs; never let that
		// take the run down.
		if r := recover(); r != nil {
			node, err = nil, errAt(file, 0, "invalid YAML: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, yamlSyntaxError(file, data, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, errAt(file, extra.Line, "a second YAML document starts here: an inventory or vars file holds exactly one document")
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// maxYAMLNodes bounds the values one file may expand to (a variable so that
// tests can lower it).
var maxYAMLNodes = 1_000_000

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// maxProblemScanLines bounds the search for the offending line of a YAML
// syntax error (each step re-parses a prefix of the file).
const maxProblemScanLines = 2000

func yamlSyntaxError(file string, data []byte, err error) error {
	m := yamlLineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return errAt(file, 0, "invalid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	line, _ := strconv.Atoi(m[1])
	if problem := problemLine(data, m[2]); problem > line {
		return errAt(file, problem, "invalid YAML: %s (in the block that starts at line %d)", m[2], line)
	}
	return errAt(file, line, "invalid YAML: %s", m[2])
}

// problemLine finds the line where a YAML error shows up. yaml.v3 reports
// the line where the enclosing block starts, which for a bad indentation deep
// in a file is line 1; the first prefix of the file that fails with the same
// message ends at the offending line. 0 when not found.
func problemLine(data []byte, msg string) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines) > maxProblemScanLines {
		return 0
	}
	for n := 1; n <= len(lines); n++ {
		var v yaml.Node
		err := yaml.Unmarshal(bytes.Join(lines[:n], nil), &v)
		if err != nil && strings.HasSuffix(err.Error(), msg) {
			return n
		}
	}
	return 0
}

// yamlConverter turns YAML nodes into Go values with PyYAML's YAML 1.1 rules,
// which is what Ansible uses: yes/no/on/off are booleans, 0755 is octal,
// 1:30 is sexagesimal. It records !secret and decrypted values and collects
// errors.
type yamlConverter struct {
	file      string
	nodes     int  // nodes visited, aliases counted each time they expand
	json      bool // the file is JSON: plain scalars follow JSON's rules
	keys      *vault.Keyring
	allSecret bool // the file was vault-encrypted: every value is a secret
	secrets   []string
	errs      []error
}

func (c *yamlConverter) fail(n *yaml.Node, format string, args ...any) {
	c.errs = append(c.errs, errAt(c.file, n.Line, format, args...))
}

func (c *yamlConverter) valueDepth(n *yaml.Node, depth int) any {
	if depth > 1000 {
		c.fail(n, "value nested too deeply")
		return nil
	}
	// Aliases of aliases expand exponentially ("billion laughs"); real
	// inventories stay far below this.
	if c.nodes++; c.nodes > maxYAMLNodes {
		if c.nodes == maxYAMLNodes+1 {
			c.fail(n, "the file expands to more than %d values (aliases of aliases?)", maxYAMLNodes)
		}
		return nil
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return nil
		}
		return c.valueDepth(n.Alias, depth+1)
	}
	switch n.Tag {
	case "!secret", "!unsafe":
		if n.Kind != yaml.ScalarNode {
			c.fail(n, "%s applies to a single string value, not to a list or mapping", n.Tag)
			return nil
		}
		if n.Tag == "!secret" || c.allSecret {
			c.secrets = append(c.secrets, n.Value)
		}
		if n.Tag == "!unsafe" {
			return rawtext.Text(n.Value)
		}
		return n.Value
	case "!vault", "!vault-encrypted":
		return c.vaultValue(n)
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		c.fail(n, "unknown YAML tag %s: ferry knows !secret, !unsafe and !vault", n.Tag)
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		return c.mapping(n, depth)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, item := range n.Content {
			out = append(out, c.valueDepth(item, depth+1))
		}
		return out
	case yaml.ScalarNode:
		c.recordSecret(n.Value)
		return c.scalar(n)
	}
	return nil
}

// mapping converts a mapping node. A key given twice is an error, as in the
// playbook parser (Ansible only warns, and the later value silently wins);
// keys a merge (<<) brings in may be overridden.
func (c *yamlConverter) mapping(n *yaml.Node, depth int) map[string]any {
	out := map[string]any{}
	var keys []string // the order, kept (package keyorder)
	defer func() { keyorder.Set(out, keys) }()
	lines := map[string]int{}
	for _, kv := range mappingPairs(n) {
		k, v := kv[0], kv[1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			c.merge(out, &keys, v, depth)
			continue
		}
		key, ok := jsonKey(c.keyValue(k, depth+1))
		if !ok {
			c.fail(k, "a mapping key must be a plain value, not a list or mapping")
			continue
		}
		if first, dup := lines[key]; dup && c.nodes <= maxYAMLNodes { // past the limit, keys are nil
			c.fail(k, "duplicate key %q (the first is at line %d): remove one", key, first)
			continue
		}
		lines[key] = k.Line
		if _, merged := out[key]; !merged {
			keys = append(keys, key)
		}
		out[key] = c.valueDepth(v, depth+1)
	}
	return out
}

// keyValue converts a mapping key: keys are names, never secrets, even in a
// vaulted file.
func (c *yamlConverter) keyValue(k *yaml.Node, depth int) any {
	all := c.allSecret
	c.allSecret = false
	defer func() { c.allSecret = all }()
	return c.valueDepth(k, depth)
}

// merge applies a YAML merge key (<<: *anchor) without overriding keys the
// mapping sets itself (those come later and overwrite, or were set before and
// must win, so only missing keys are filled).
func (c *yamlConverter) merge(out map[string]any, keys *[]string, v *yaml.Node, depth int) {
	sources := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		sources = v.Content
	}
	for _, s := range sources {
		m, ok := c.valueDepth(s, depth+1).(map[string]any)
		if !ok {
			c.fail(s, "a merge key (<<) needs a mapping")
			continue
		}
		for _, k := range keyorder.Keys(m) {
			if _, set := out[k]; !set {
				out[k] = m[k]
				*keys = append(*keys, k)
			}
		}
	}
}

// mappingPairs returns the key/value node pairs of a mapping node.
func mappingPairs(n *yaml.Node) [][2]*yaml.Node {
	pairs := make([][2]*yaml.Node, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		pairs = append(pairs, [2]*yaml.Node{n.Content[i], n.Content[i+1]})
	}
	return pairs
}

func (c *yamlConverter) scalar(n *yaml.Node) any {
	quoted := n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0
	if n.Style&yaml.TaggedStyle != 0 {
		return c.explicitScalar(n)
	}
	if quoted {
		return n.Value
	}
	if c.json {
		return resolveJSON(n.Value)
	}
	return resolveYAML11(n.Value)
}

// explicitScalar honours !!str, !!int, !!float, !!bool and !!null.
func (c *yamlConverter) explicitScalar(n *yaml.Node) any {
	switch n.Tag {
	case "!!str", "!!binary", "!!timestamp":
		return n.Value
	case "!!null":
		return nil
	}
	v := resolveYAML11(n.Value)
	ok := false
	switch n.Tag {
	case "!!int":
		_, ok = v.(int)
	case "!!float":
		if i, isInt := v.(int); isInt {
			v, ok = float64(i), true
		} else {
			_, ok = v.(float64)
		}
	case "!!bool":
		_, ok = v.(bool)
	}
	if !ok {
		c.fail(n, "value %q is not a valid %s", n.Value, n.Tag)
	}
	return v
}

var (
	yamlBoolRE  = regexp.MustCompile(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`)
	yamlIntRE   = regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)
	yamlFloatRE = regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
	yamlNullRE  = regexp.MustCompile(`^(?:~|null|Null|NULL|)$`)
)

// resolveYAML11 types a plain scalar as PyYAML's resolver does. Timestamps
// stay strings (Ansible prints dates in the same form). Integers that do not
// fit in 64 bits stay strings.
func resolveYAML11(s string) any {
	switch {
	case yamlNullRE.MatchString(s):
		return nil
	case yamlBoolRE.MatchString(s):
		switch s[0] {
		case 'y', 'Y', 't', 'T':
			return true
		case 'o', 'O':
			return s == "on" || s == "On" || s == "ON"
		}
		return false
	case yamlIntRE.MatchString(s):
		if n, ok := yaml11Int(s); ok {
			return n
		}
	case yamlFloatRE.MatchString(s):
		if f, ok := yaml11Float(s); ok {
			return f
		}
	}
	return s
}

func splitSign(s string) (sign int, rest string) {
	s = strings.ReplaceAll(s, "_", "")
	switch {
	case strings.HasPrefix(s, "-"):
		return -1, s[1:]
	case strings.HasPrefix(s, "+"):
		return 1, s[1:]
	}
	return 1, s
}

func yaml11Int(s string) (int, bool) {
	sign, v := splitSign(s)
	var n int64
	var err error
	switch {
	case v == "0":
		return 0, true
	case strings.HasPrefix(v, "0b"):
		n, err = strconv.ParseInt(v[2:], 2, 64)
	case strings.HasPrefix(v, "0x"):
		n, err = strconv.ParseInt(v[2:], 16, 64)
	case strings.HasPrefix(v, "0"):
		n, err = strconv.ParseInt(v[1:], 8, 64)
	case strings.Contains(v, ":"):
		f, ok := sexagesimal(v)
		return sign * int(f), ok && f < math.MaxInt32
	default:
		n, err = strconv.ParseInt(v, 10, 64)
	}
	if err != nil {
		return 0, false
	}
	return sign * int(n), true
}

func yaml11Float(s string) (float64, bool) {
	sign, v := splitSign(strings.ToLower(s))
	switch {
	case v == ".inf":
		return float64(sign) * math.Inf(1), true
	case v == ".nan":
		return math.NaN(), true
	case strings.Contains(v, ":"):
		f, ok := sexagesimal(v)
		return float64(sign) * f, ok
	}
	f, err := strconv.ParseFloat(v, 64)
	return float64(sign) * f, err == nil
}

// sexagesimal evaluates YAML 1.1 base-60 numbers like 1:30 (= 90).
func sexagesimal(v string) (float64, bool) {
	total := 0.0
	for _, part := range strings.Split(v, ":") {
		d, err := strconv.ParseFloat(part, 64)
		if err != nil {
			return 0, false
		}
		total = total*60 + d
	}
	return total, true
}

// resolveJSON types an unquoted JSON scalar: a number, true, false or null.
func resolveJSON(s string) any {
	switch s {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return int(n)
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f
	}
	return s
}

// isJSON reports whether data is a JSON object, which Ansible's loader
// parses as JSON before trying YAML.
func isJSON(data []byte) bool {
	trimmed := bytes.TrimSpace(data)
	return len(trimmed) > 0 && trimmed[0] == '{' && json.Valid(trimmed)
}
