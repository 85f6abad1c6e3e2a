package template

import (
	"math"
	"regexp"
	"strings"

	"github.com/ferry-sh/ferry/internal/keyorder"
)

// What a rendered template becomes, as Ansible 2.14 decides it without
// jinja2_native (its default; lib/ansible/template/__init__.py
// Templar.template and native_helpers.ansible_eval_concat):
//
//   - "{{ name }}" alone whose variable holds a bool, a number or None is
//     that value;
//   - every other template's output is text (a None output is ""), and a
//     text that starts with [ or { or is True or False is read back as a
//     Python literal (JSON's true, false and null too) when it is one: a
//     list, dict or bool. "{{ 1 + 1 }}" is "2", "[{{ a }}, {{ b }}]" a list,
//     "{{ x }}" with x = '{"k": 1}' a dict;
//   - the output of a string filter (to_json, to_yaml, string...) or of
//     lookup('template') alone is never read back.

// bareVar is Templar's SINGLE_VAR; Python's $ also matches before a
// final newline.
var bareVar = regexp.MustCompile(`^\{\{\s*(\w*)\s*\}\}\n?$`)

// stringFilters are Ansible's STRING_TYPE_FILTERS.
var stringFilters = map[string]bool{"string": true, "to_json": true, "to_nice_json": true, "to_yaml": true,
	"to_nice_yaml": true, "ppretty": true, "json": true}

// singleShape is what convertData needs to know of a template that is one
// {{ expr }}: the text around it and what kind of expression it is.
type singleShape struct {
	lead, trail string // text around the {{ }} (Jinja drops one final newline)
	bareVar     bool   // {{ name }}
	nativeText  bool   // a string filter's or lookup('template')'s output
}

func shapeOf(src string, nodes []tnode, out *outNode) singleShape {
	_, isName := out.expr.(*nameNode) // {{ 5 }} and {{ none }} are literals, not variables
	sh := singleShape{bareVar: isName && bareVar.MatchString(src), nativeText: isNativeText(out.expr)}
	seenOut := false
	for _, n := range nodes {
		switch n := n.(type) {
		case *outNode:
			seenOut = true
		case *textNode:
			if seenOut {
				sh.trail += n.s
			} else {
				sh.lead += n.s
			}
		}
	}
	sh.trail = strings.TrimSuffix(sh.trail, "\n")
	return sh
}

func isNativeText(n node) bool {
	switch x := n.(type) {
	case *filterNode:
		return stringFilters[x.name]
	case *callNode:
		if x.fn == "lookup" && len(x.args) > 0 {
			lit, ok := x.args[0].(*litNode)
			return ok && lit.val != nil && pluginName(pyStr(lit.val)) == "template"
		}
	}
	return false
}

// convertSingle is the value of a one-expression template whose
// expression gave v.
func convertSingle(sh singleShape, v any, newlines int) any {
	if sh.bareVar && (v == nil || isNumber(v) || isBoolValue(v)) {
		return v
	}
	if sh.lead == "" && sh.trail == "" {
		if sh.nativeText {
			return withNewlines(pyStr(v), newlines)
		}
		if isLiteral(v, 0) {
			if _, isStr := v.(string); !isStr && (asListOK(v) || asMapOK(v) || isBoolValue(v)) {
				return v // what literal_eval would give back from its repr
			}
		}
	}
	text := ""
	if v != nil {
		text = pyStr(v)
	}
	return convertText(sh.lead+text+sh.trail, newlines)
}

// convertText is a template's text output, read back as a literal when it
// looks like one, with the source's trailing newlines kept on a text.
func convertText(out string, newlines int) any {
	if looksLiteral(out) {
		if v, ok := literalEval(out); ok {
			return v
		}
	}
	return withNewlines(out, newlines)
}

func withNewlines(s string, want int) string {
	if have := len(s) - len(strings.TrimRight(s, "\n")); have < want {
		s += strings.Repeat("\n", want-have)
	}
	return s
}

func isBoolValue(v any) bool { _, ok := v.(bool); return ok }

func asListOK(v any) bool { _, ok := asList(v); return ok }

func asMapOK(v any) bool { _, ok := asMap(v); return ok }

// isLiteral reports whether Python's repr of v reads back with
// literal_eval as the same value: None, bools, strings, finite numbers,
// and lists and dicts of them.
func isLiteral(v any, depth int) bool {
	if depth > maxDepth {
		return false
	}
	switch x := v.(type) {
	case nil, bool, string:
		return true
	case float64:
		return !math.IsInf(x, 0) && !math.IsNaN(x)
	}
	if isNumber(v) {
		return true
	}
	if l, ok := asList(v); ok {
		for _, item := range l {
			if !isLiteral(item, depth+1) {
				return false
			}
		}
		return true
	}
	if m, ok := asMap(v); ok {
		for _, item := range m {
			if !isLiteral(item, depth+1) {
				return false
			}
		}
		return true
	}
	return false
}

// literalEval is ast.literal_eval with Ansible's Json2Python (true, false
// and null read as Python's): the text must be one Python literal.
func literalEval(s string) (any, bool) {
	n, err := parseExpression(s)
	if err != nil {
		return nil, false
	}
	return literalValue(n, 0)
}

func literalValue(n node, depth int) (any, bool) {
	if depth > maxDepth {
		return nil, false
	}
	switch x := n.(type) {
	case *litNode:
		return x.val, true
	case *nameNode:
		return nil, x.name == "null"
	case *unaryNode:
		v, ok := literalValue(x.x, depth+1)
		if !ok || !isNumber(v) || x.op == "not" {
			return nil, false
		}
		if x.op == "-" {
			neg, err := hNeg(v)
			return neg, err == nil
		}
		return v, true
	case *listNode:
		out := make([]any, len(x.items))
		for i, item := range x.items {
			v, ok := literalValue(item, depth+1)
			if !ok {
				return nil, false
			}
			out[i] = v
		}
		return out, true
	case *dictNode:
		out := keyorder.NewBuilder(len(x.keys))
		for i, k := range x.keys {
			key, ok := literalValue(k, depth+1)
			if _, isList := asList(key); !ok || isList {
				return nil, false
			}
			val, ok := literalValue(x.vals[i], depth+1)
			if !ok {
				return nil, false
			}
			out.Put(pyStr(key), val)
		}
		return out.Map(), true
	}
	return nil, false
}
