package template

import (
	"errors"
	"math/big"
	"reflect"
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	e := New(Options{})
	cases := []struct {
		src  string
		want any
	}{
		// no template syntax: returned as-is
		{"plain text", "plain text"},
		{"{ not a template }", "{ not a template }"},
		{"", ""},
		// Ansible 2.14's types (convert.go): {{ name }} of a bool, number or
		// None is the value; other output is text, read back as a list, dict
		// or bool when it is the literal of one
		{"{{ x }}", 1},
		{"{{ x }}\n", 1},
		{"  {{ nums }}\n", "  [3, 1, 2]\n"},
		{"{{ nums }}\n", []any{3, 1, 2}},
		{"[{{ x }}, {{ x }}]", []any{1, 1}},
		{`{{ '{"j": true, "n": null}' }}`, map[string]any{"j": true, "n": nil}},
		{"{{ 1.5 }}", "1.5"},
		{"{{ none }}", ""},
		{"{{ x > 0 }}", true},
		{"{{ 'False' }}", false},
		{"{% if x %}[1]{% endif %}", []any{1}},
		{"{{ '[1, 2' }}", "[1, 2"},
		{"{{ 'a' }}\n", "a\n"},
		{"{{ m | to_json }}", `{"a": 1, "b": {"c": "deep"}}`},
		{"{{ [pi, -2, 2 ** 70] }}", []any{3.14, -2, new(big.Int).Lsh(big.NewInt(1), 70)}},
		{"{{ m }}", map[string]any{"a": 1, "b": map[string]any{"c": "deep"}}},
		{"{{ y }}", true},
		{"{{ nothing }}", nil},
		{"{{ port | int }}", "8080"},
		{"{{ {'a': {'b': 1}} }}", map[string]any{"a": map[string]any{"b": 1}}},
		{"{{ '}}' }}", "}}"},
		{"{{- x -}}", "1"},
		// mixed text is a string, values formatted as Jinja prints them
		{"Hello {{ name }}!", "Hello World!"},
		{"{{ x }}{{ x }}", "11"},
		{"l={{ [1, 2] }}", "l=[1, 2]"},
		{"w={{ words }}", "w=['b', 'A', 'c']"},
		{"b={{ y }}/{{ no }}", "b=True/False"},
		{"n={{ nothing }}", "n="}, // Ansible's finalize prints None as nothing
		{"{{ [nothing] }}|{{ nothing ~ 'x' }}", "[None]|Nonex"},
		{"f={{ pi }} {{ 1.0 }} {{ 1e20 }} {{ 0.00001 }}", "f=3.14 1.0 1e+20 1e-05"},
		{"d={{ m }}", "d={'a': 1, 'b': {'c': 'deep'}}"},
		{`q={{ ["it's", 'say "hi"'] }}`, `q=["it's", 'say "hi"']`},
		{"{{ x }} {{ foo | default('-') }}", "1 -"},
		{"port {{ port | int + 1 }}", "port 8081"},
		// comments
		{"a{# note #}b", "ab"},
		{"a {#- note -#} b", "ab"},
		{"{# only a comment #}", ""},
		{"{# x #}{{ x }}", "1"},
		// if / elif / else
		{"{% if x == 1 %}one{% endif %}", "one"},
		{"{% if x == 2 %}two{% elif x == 1 %}one{% else %}other{% endif %}", "one"},
		{"{% if no %}yes{% else %}no{% endif %}", "no"},
		{"{% if foo is defined %}{{ foo }}{% else %}unset{% endif %}", "unset"},
		{"{% if nums %}has{% endif %}", "has"},
		{"{% if empty %}has{% endif %}", ""},
		{"{% if x %}{% if y %}both{% endif %}{% endif %}", "both"},
		// for loops
		{"{% for n in nums %}{{ n }},{% endfor %}", "3,1,2,"},
		{"{% for n in nums %}{{ loop.index }}/{{ loop.length }}{% if not loop.last %} {% endif %}{% endfor %}", "1/3 2/3 3/3"},
		{"{% for n in nums %}{{ loop.index0 }}{{ loop.first }}{% endfor %}", "0True1False2False"},
		{"{% for k in m %}{{ k }}{% endfor %}", "ab"},
		{"{% for k, v in labels.items() %}{{ k }}={{ v }}{% endfor %}", "app=dash"},
		{"{% for k, v in labels | dictsort %}{{ k }}={{ v }}{% endfor %}", "app=dash"},
		{"{% for u in users if u.admin %}{{ u.name }}{% endfor %}", "ann"},
		{"{% for n in [] %}x{% else %}empty{% endfor %}", "empty"},
		{"{% for i in range(3) %}{{ i }}{% endfor %}", "012"},
		{"{% for a in [1, 2] %}{% for b in ['x', 'y'] %}{{ a }}{{ b }} {% endfor %}{% endfor %}", "1x 1y 2x 2y "},
		{"{% for n in nums %}{% endfor %}{{ n | default('gone') }}", "gone"},
		// set
		{"{% set greeting = 'hi ' ~ name %}{{ greeting }}", "hi World"},
		{"{% set total = nums | sum %}{{ total * 2 }}", "12"},
		// raw
		{"{% raw %}{{ not rendered }}{% endraw %}", "{{ not rendered }}"},
		// whitespace: Ansible's trim_blocks drops the newline after a block tag
		{"a\n{% if y %}\nyes\n{% endif %}\nb", "a\nyes\nb"},
		{"{% for n in nums %}\n- {{ n }}\n{% endfor %}\n", "- 3\n- 1\n- 2\n"},
		{"a  {%- if y %} b {% endif -%}  c", "a b c"},
		{"x  {{- name -}}  y", "xWorldy"},
		{"line\n{# comment #}\nnext", "line\nnext"},
		{"a\n{% if y %}b{% endif %}\n", "a\nb\n"},
		{"{% if y %}b\n{% endif %}\n\n", "b\n\n"},
		// literal braces that are not tags
		{"{ a } {{ x }} }", "{ a } 1 }"},
		{"json {\"k\": {{ x }}}", "json {\"k\": 1}"},
	}
	for _, c := range cases {
		got, err := e.Render(c.src, testScope())
		if err != nil {
			t.Errorf("Render(%q): unexpected error: %v", c.src, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Render(%q) = %#v, want %#v", c.src, got, c.want)
		}
	}
}

func TestRenderString(t *testing.T) {
	e := New(Options{})
	cases := []struct{ src, want string }{
		{"{{ x }}", "1"},
		{"{{ nums }}", "[3, 1, 2]"},
		{"{{ y }}", "True"},
		{"plain", "plain"},
		{"a{{ name }}", "aWorld"},
	}
	for _, c := range cases {
		got, err := e.RenderString(c.src, testScope())
		if err != nil || got != c.want {
			t.Errorf("RenderString(%q) = %q, %v; want %q", c.src, got, err, c.want)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	e := New(Options{})
	cases := []struct {
		src  string
		want string
	}{
		{"{{ foo }}", `'foo' is undefined`},
		{"Hello {{ foo }}!", `'foo' is undefined`},
		{"{% if foo %}x{% endif %}", `'foo' is undefined`},
		{"{% for i in foo %}x{% endfor %}", `'foo' is undefined`},
		{"{% for i in x %}x{% endfor %}", "'int' object is not iterable"},
		{"{% for a, b in nums %}x{% endfor %}", "cannot unpack non-iterable int object"},
		{"{{ m.zz }}", `'m' has no attribute 'zz'`},
		{"{% set v = foo %}", `'foo' is undefined`},
		{"{% for a in range(2000) %}{% for b in range(2000) %}{% endfor %}{% endfor %}", "more than"},
		{"{% for a in range(100000) %}{{ 'x' * 1000 }}{% endfor %}", "larger than"},
	}
	for _, c := range cases {
		_, err := e.Render(c.src, testScope())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Render(%q) error = %v, want one containing %q", c.src, err, c.want)
		}
	}
}

func TestCheck(t *testing.T) {
	cases := []struct {
		src       string
		line, col int
		want      string
	}{
		{"{{ x | nosuch }}", 1, 8, "unknown filter 'nosuch'"},
		{"a\nb {{ x +  }}", 2, 11, "expected a value"},
		{"{{ x ", 1, 1, "never closed"},
		{"{% if x %}yes", 1, 1, "{% if %} is never closed"},
		{"{% for x in y %}", 1, 1, "{% for %} is never closed"},
		{"{% endif %}", 1, 4, "without an open block"},
		{"{% if x %}{% endfor %}", 1, 14, "unexpected {% endfor %} inside {% if %}"},
		{"{% if x %}{% else %}{% elif y %}{% endif %}", 1, 24, "unexpected {% elif %}"},
		{"{% do x %}", 1, 4, "unsupported tag {% do %}"},
		{"{% macro m() %}", 1, 1, "{% macro %} is never closed"},
		{"a\n{{ m() }}", 2, 4, "unknown function 'm'"},
		{"{{ x.nosuch() }}", 1, 6, "unsupported method 'nosuch()'"},
		{"{% macro m(a=1, b) %}{% endmacro %}", 1, 17, "non-default argument follows default argument"},
		{"{% block a %}{% endblock b %}", 1, 26, "{% endblock b %} closes {% block a %}"},
		{"{% call x %}{% endcall %}", 1, 9, "{% call %} needs a macro call"},
		{"{% include 'x' ignore %}", 1, 23, "expected 'missing'"},
		{"{% import 'x' %}", 1, 15, "expected 'as'"},
		{"{% from 'x' import %}", 1, 20, "expected a name to import"},
		{"{% for in x %}{% endfor %}", 1, 8, "expected a loop variable name"},
		{"{% for a b %}{% endfor %}", 1, 10, "expected 'in'"},
		{"{% set = 1 %}", 1, 8, "expected a variable name"},
		{"{% if x y %}{% endif %}", 1, 9, "unexpected 'y' at the end of {% if %}"},
		{"{# open comment", 1, 1, "never closed"},
		{"{% raw %}x", 1, 1, "never closed"},
		{"{{ }}", 1, 1, "empty expression"},
		{"{% %}", 1, 1, "expected a tag name"},
		{"line1\n  {{ 'a' | lookup }}", 2, 12, "unknown filter 'lookup'"},
	}
	for _, c := range cases {
		err := Check(c.src)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Check(%q) = %v, want a *SyntaxError", c.src, err)
			continue
		}
		if !strings.Contains(se.Msg, c.want) || se.Line != c.line || se.Col != c.col {
			t.Errorf("Check(%q) = line %d col %d %q, want line %d col %d containing %q", c.src, se.Line, se.Col, se.Msg, c.line, c.col, c.want)
		}
	}
	for _, ok := range []string{"plain", "{{ x }}", "{% if a is defined %}{{ a }}{% endif %}", "{# c #}", "{% raw %}{{ %}{% endraw %}",
		"{% include 'x.j2' %}", "{% macro m() %}{% endmacro %}{{ m() }}", "{% from 'f' import a as b %}{{ b() }}",
		"{% import 'f' as f %}{{ f.anything() }}", "{% for i in x %}{{ loop.cycle(1, 2) }}{% endfor %}"} {
		if err := Check(ok); err != nil {
			t.Errorf("Check(%q): unexpected error %v", ok, err)
		}
	}
}

func TestRefs(t *testing.T) {
	cases := []struct {
		src  string
		want []string
	}{
		{"plain", []string{}},
		{"{{ a }} and {{ b.c }}", []string{"a", "b"}},
		{"{{ a | default(b) }}", []string{"b"}},
		{"{{ a.x | default('y') }}", []string{}},
		{"{{ a['k'] | default(1) }} {{ a.z }}", []string{"a"}},
		{"{% if a is defined %}{{ a }}{% endif %}", []string{}},
		// a branch a condition may skip is read only if the run takes it
		{"{{ a if a is defined else c }}", []string{}},
		{"{{ a if flag else 'x' }} {{ d if e else f }}", []string{"e", "flag"}},
		{"{% if on %}{{ x }}{% elif y %}{{ z }}{% else %}{{ w }}{% endif %}", []string{"on", "y"}},
		{"{% for i in items %}{{ i.name }} {{ loop.index }} {{ other }}{% endfor %}", []string{"items", "other"}},
		{"{% for k, v in d.items() %}{{ k }}{{ v }}{% endfor %}{{ k }}", []string{"d", "k"}},
		{"{% set s = base ~ '/x' %}{{ s }}", []string{"base"}},
		{"{{ x | mandatory }}", []string{"x"}},
		{"{{ range(n) | map('string') | join(sep) }}", []string{"n", "sep"}},
		{"{{ lookup('env', var_name) }}", []string{"var_name"}},
		{"{{ f(1) if false else 2 }}"[:0] + "{{ z is none }}", []string{"z"}},
		{"{{ users | selectattr('admin') | list }} {{ 'x' in groups }}", []string{"groups", "users"}},
		{"{{ b }}{{ a }}{{ b }}", []string{"a", "b"}},
		// facts.distro is defined is false, not an error, when facts is undefined
		{"{% if facts.distro is defined %}{{ facts.distro }}{% endif %}", []string{}},
	}
	for _, c := range cases {
		got, err := Refs(c.src)
		if err != nil {
			t.Errorf("Refs(%q): %v", c.src, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Refs(%q) = %v, want %v", c.src, got, c.want)
		}
	}
	if _, err := Refs("{{ x | nosuch }}"); err == nil {
		t.Errorf("Refs of a bad template: no error")
	}
}

func TestExprRefs(t *testing.T) {
	cases := []struct {
		src  string
		want []string
	}{
		{"x == 1 and y", []string{"x", "y"}},
		{"foo is defined and foo > 1", []string{}},
		{"result is failed", []string{"result"}},
		{"(a | default(0)) + b.c", []string{"b"}},
		{"{{ z }}", []string{"z"}},
	}
	for _, c := range cases {
		got, err := ExprRefs(c.src)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ExprRefs(%q) = %v, %v; want %v", c.src, got, err, c.want)
		}
	}
}

// The cache must give every caller its own result even when many hosts
// evaluate the same sources at once.
func TestConcurrentEval(t *testing.T) {
	e := New(Options{})
	done := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func(g int) {
			for i := 0; i < 200; i++ {
				got, err := e.Render("{{ n * 2 }}-{{ name }}", vars{"n": g*1000 + i, "name": "h"})
				want := pyStr((g*1000+i)*2) + "-h"
				if err != nil || got != want {
					done <- errors.New("got " + pyStr(got) + ", want " + want)
					return
				}
			}
			done <- nil
		}(g)
	}
	for g := 0; g < 8; g++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

func TestUndefinedPosition(t *testing.T) {
	e := New(Options{})
	cases := []struct {
		src, want string
		render    bool
	}{
		{"x == 1 and missing > 2", `"x == 1 and missing > 2" at column 12: 'missing' is undefined`, false},
		{"{{ missing.attr }}", `"missing.attr" at column 4: 'missing' is undefined`, true},
		{"line one\nhost {{ x }} {{ missing }}", `at line 2, column 17: 'missing' is undefined`, true},
	}
	for _, c := range cases {
		var err error
		if c.render {
			_, err = e.Render(c.src, testScope())
		} else {
			_, err = e.Eval(c.src, testScope())
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want it to contain %q", c.src, err, c.want)
		}
	}
}
