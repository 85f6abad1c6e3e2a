package template

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// stmtCases are templates using Jinja's statements, each a set of files
// whose main.j2 is rendered; want is what Jinja 3.1 renders with Ansible's
// settings (trim_blocks), checked with python3's jinja2 when written.
var stmtCases = []struct {
	name  string
	files map[string]string
	want  string
}{
	{"block in place", map[string]string{
		"main.j2": "a\n{% block b %}\nin block {{ x }}\n{% endblock %}\nz",
	}, "a\nin block 1\nz"},
	{"extends", map[string]string{
		"base.j2": "head\n{% block body %}base body\n{% endblock %}\n  {% block tail %}{% endblock %}\nend\n",
		"main.j2": "ignored\n{% extends 'base.j2' %}\nignored too {{ x }}\n{% block body %}child {{ super() }}{% endblock body %}\n{% block tail %}T{% endblock %}",
	}, "ignored\nhead\nchild base body\n  Tend"},
	{"extends two levels", map[string]string{
		"a.j2":    "[{% block one %}A1{% endblock %}|{% block two %}A2{% endblock %}]",
		"b.j2":    "{% extends 'a.j2' %}{% block one %}B1<{{ super() }}>{% endblock %}",
		"main.j2": "{% extends 'b.j2' %}{% block one %}C1<{{ super() }}>{% endblock %}{% block two %}C2{% endblock %}",
	}, "[C1<B1<A1>>|C2]"},
	{"block sees top-level set, not loop vars", map[string]string{
		"main.j2": "{% set top = 'T' %}{% for i in [1] %}{% block b %}{{ top }}{{ i | default('-') }}{% endblock %}{% endfor %}",
	}, "T-"},
	{"scoped block", map[string]string{
		"main.j2": "{% for i in [1, 2] %}{% block b scoped %}{{ i }}{% endblock %}{% endfor %}",
	}, "12"},
	{"include with and without context", map[string]string{
		"inc.j2":  "i={{ i | default('-') }} x={{ x | default('-') }}\n",
		"main.j2": "{% for i in [7] %}{% include 'inc.j2' %}{% endfor %}\n{% include 'inc.j2' without context %}\n{% include ['none.j2', 'inc.j2'] %}\n{% include 'none.j2' ignore missing %}\nend",
	}, "i=7 x=1i=- x=-i=- x=1end"},
	{"include's sets stay inside", map[string]string{
		"inc.j2":  "{% set x = 2 %}{{ x }}",
		"main.j2": "{% include 'inc.j2' %}{{ x }}",
	}, "21"},
	{"macro defaults varargs kwargs", map[string]string{
		"main.j2": "{% macro m(a, b='B', c=a ~ '!') %}{{ a }}{{ b }}{{ c }}({{ varargs | join(',') }}){{ kwargs }}{% endmacro %}" +
			"{{ m(1) }}|{{ m(1, 2, 3, 4) }}|{{ m(1, c=5, z=6) }}",
	}, "1B1!(){}|123(4){}|1B5(){'z': 6}"},
	{"macro call and caller", map[string]string{
		"main.j2": "{% macro list(items) %}<ul>{% for i in items %}<li>{{ caller(i) }}</li>{% endfor %}</ul>{% endmacro %}\n" +
			"{% call(item) list([1, 2]) %}n{{ item }}{% endcall %}\n",
	}, "<ul><li>n1</li><li>n2</li></ul>\n"}, // Ansible adds back the source's trailing newline
	{"macro closes over its template", map[string]string{
		"main.j2": "{% set greeting = 'hi' %}{% macro g(n) -%}\n{{ greeting }} {{ n }} {{ x }}\n{%- endmacro %}\n{{ g('bob') }}",
	}, "hi bob 1"},
	{"recursive macro", map[string]string{
		"main.j2": "{% macro count(n) %}{{ n }}{% if n > 0 %},{{ count(n - 1) }}{% endif %}{% endmacro %}{{ count(3) }}",
	}, "3,2,1,0"},
	{"import as and from", map[string]string{
		"forms.j2": "{% set version = 'v2' %}{% set _private = 1 %}{% macro input(name, type='text') -%}\n" +
			"<input type=\"{{ type }}\" name=\"{{ name }}\" x=\"{{ x | default('none') }}\">\n{%- endmacro %}\n",
		"main.j2": "{% import 'forms.j2' as f %}\n{{ f.input('user') }} {{ f.version }}\n" +
			"{% from 'forms.j2' import input as field, version %}\n{{ field('pw', type='password') }} {{ version }}\n" +
			"{% import 'forms.j2' as fc with context %}\n{{ fc.input('c') }}\n{{ f._private | default('private') }}",
	}, "<input type=\"text\" name=\"user\" x=\"none\"> v2\n<input type=\"password\" name=\"pw\" x=\"none\"> v2\n<input type=\"text\" name=\"c\" x=\"1\">\nprivate"},
	{"filter, set and with blocks", map[string]string{
		"main.j2": "{% filter upper %}up {{ x }}{% endfilter %}\n" +
			"{% set s %}block {{ x }}{% endset %}{{ s }}|{{ s | length }}\n" +
			"{% set t | replace('a', 'o') | upper %}banana{% endset %}{{ t }}\n" +
			"{% with a = 5, b = x %}{{ a + b }}{% endwith %}{{ a | default('-') }}",
	}, "UP 1block 1|7\nBONONO\n6-"},
	{"loop variables", map[string]string{
		"main.j2": "{% for c in 'abc' %}{{ loop.index0 }}{{ loop.revindex }}{{ loop.first }}{{ loop.last }}{{ loop.length }}" +
			"{{ loop.cycle('o', 'e') }}{{ loop.depth }}{{ loop.previtem | default('^') }}{{ loop.nextitem | default('$') }};{% endfor %}\n" +
			"{% for n in [1, 1, 2, 2, 1] %}{% if loop.changed(n) %}{{ n }}{% endif %}{% endfor %}",
	}, "03TrueFalse3o1^b;12FalseFalse3e1ac;21FalseTrue3o1b$;121"},
	{"recursive loop", map[string]string{
		"main.j2": "{% for n in tree recursive %}{{ n.name }}@{{ loop.depth }}{% if n.kids is defined %}({{ loop(n.kids) }}){% endif %} {% endfor %}",
	}, "a@1(b@2 c@2(d@3 ) ) e@1 "},
	{"namespace", map[string]string{
		"main.j2": "{% set ns = namespace(found=false, n=0) %}{% for i in [1, 2, 3] %}{% if i == 2 %}{% set ns.found = true %}{% endif %}" +
			"{% set ns.n = ns.n + i %}{% endfor %}{{ ns.found }} {{ ns.n }}",
	}, "True 6"},
	{"set unpacking and tuples", map[string]string{
		"main.j2": "{% set a, b = 1, 2 %}{% set c, d = [3, 4] %}{{ a }}{{ b }}{{ c }}{{ d }}{% set t = 5, 6 %}{{ t | join }}",
	}, "123456"},
	{"whitespace control", map[string]string{
		"main.j2": "<\n  {%- block b -%}\n  x\n  {%- endblock -%}\n>\n{%+ if true +%}\ny{% endif +%}\n{#+ c +#}\nz",
	}, "<x>\n\ny\n\nz"},
}

func stmtScope() vars {
	return vars{"x": 1, "tree": []any{
		map[string]any{"name": "a", "kids": []any{
			map[string]any{"name": "b"},
			map[string]any{"name": "c", "kids": []any{map[string]any{"name": "d"}}},
		}},
		map[string]any{"name": "e"},
	}}
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestStatements(t *testing.T) {
	e := New(Options{})
	for _, c := range stmtCases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeFiles(t, c.files)
			got, err := e.RenderFile(c.files["main.j2"], []string{dir}, stmtScope())
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			if got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestStatementErrors(t *testing.T) {
	e := New(Options{})
	defer func(n int) { maxEntries = n }(maxEntries)
	maxEntries = 1000
	cases := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"break is not enabled", map[string]string{"main.j2": "{% for i in [1] %}{% break %}{% endfor %}"}, "unsupported tag {% break %}"},
		{"do is not enabled", map[string]string{"main.j2": "{% do x %}"}, "unsupported tag {% do %}"},
		{"unclosed block", map[string]string{"main.j2": "a\n{% block b %}x"}, "line 2, column 1: {% block %} is never closed: add {% endblock %}"},
		{"endblock name", map[string]string{"main.j2": "{% block b %}{% endblock c %}"}, "{% endblock c %} closes {% block b %}"},
		{"block twice", map[string]string{"main.j2": "{% block b %}{% endblock %}{% block b %}{% endblock %}"}, "block 'b' defined twice"},
		{"unknown function", map[string]string{"main.j2": "{{ nope(1) }}"}, "unknown function 'nope'"},
		{"missing include", map[string]string{"main.j2": "{% include 'none.j2' %}"}, `template "none.j2" not found`},
		{"missing extends", map[string]string{"main.j2": "{% extends 'none.j2' %}"}, `template "none.j2" not found`},
		{"syntax error in an include", map[string]string{"main.j2": "{% include 'bad.j2' %}", "bad.j2": "\n{% if %}"}, "bad.j2: syntax error at line 2"},
		{"include of itself", map[string]string{"main.j2": "{% include 'main.j2' %}"}, "nested more than 100 deep"},
		{"a macro calling itself twice", map[string]string{"main.j2": "{% macro f(n) %}{% if n < 40 %}{{ f(n + 1) }}{{ f(n + 1) }}{% endif %}{% endmacro %}{{ f(0) }}"},
			"more than 1000 macro calls, includes and imports"},
		{"macro arity", map[string]string{"main.j2": "{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}"}, "macro 'm' takes not more than 1 argument(s)"},
		{"macro keyword", map[string]string{"main.j2": "{% macro m(a) %}{% endmacro %}{{ m(b=2) }}"}, "macro 'm' takes no keyword argument 'b'"},
		{"missing parameter", map[string]string{"main.j2": "{% macro m(a) %}{{ a }}{% endmacro %}{{ m() }}"}, "parameter 'a' was not provided"},
		{"super without parent", map[string]string{"main.j2": "{% block b %}{{ super() }}{% endblock %}"}, "there is no parent block called 'b'"},
		{"non-recursive loop call", map[string]string{"main.j2": "{% for i in [1] %}{{ loop([]) }}{% endfor %}"}, "non-recursive loop"},
		{"missing import name", map[string]string{"main.j2": "{% from 'f.j2' import nope %}{{ nope() }}", "f.j2": ""}, "does not export the requested name 'nope'"},
		{"set on a non-namespace", map[string]string{"main.j2": "{% set x = 1 %}{% set x.a = 2 %}"}, "cannot assign attribute on non-namespace object 'x'"},
		{"unpacking a wrong count", map[string]string{"main.j2": "{% set a, b = [1] %}"}, "not enough values to unpack (expected 2, got 1)"},
		{"dotdot", map[string]string{"main.j2": "{% include '../x.j2' %}"}, `template "../x.j2" not found`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeFiles(t, c.files)
			_, err := e.RenderFile(c.files["main.j2"], []string{dir}, stmtScope())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want it to contain %q", err, c.want)
			}
		})
	}
}

// TestHeader: a template's #jinja2: line sets trim_blocks, lstrip_blocks
// and keep_trailing_newline; the outputs are ansible-playbook's template
// module's.
func TestHeader(t *testing.T) {
	e := New(Options{})
	cases := []struct{ src, want string }{
		{"#jinja2: trim_blocks: False, lstrip_blocks: True\na\n    {% if true %}\n  b\n  {% endif %}\n\t{# c #}\n  x {% if true %}y{% endif %}\n   {%+ if true %}z{% endif %}\n",
			"a\n\n  b\n\n\n  x y\n   z\n"},
		{"#jinja2:lstrip_blocks: True\n{% for i in [1,2] %}\n    {% if i %}\n  {{ i }}\n    {% endif %}\n{% endfor %}\n", "  1\n  2\n"},
		{"#jinja2: keep_trailing_newline: True\nk\n\n", "k\n\n"},
		{"#jinja2: trim_blocks: \"yes\"\n{% if 1 %}\nq\n{% endif %}\n", "q\n"},
		{"#jinja2: trim_blocks: False\nplain\n", "plain\n"},
	}
	for _, c := range cases {
		got, err := e.RenderFile(c.src, nil, stmtScope())
		if err != nil || got != c.want {
			t.Errorf("RenderFile(%q) = %q, %v; want %q", c.src, got, err, c.want)
		}
	}
	for _, bad := range []string{"#jinja2: variable_start_string: '[['\n{{ x }}", "#jinja2: trim_blocks\n{{ x }}", "#jinja2: trim_blocks: x.y\n{{ x }}"} {
		var se *SyntaxError
		if err := Check(bad); !errors.As(err, &se) || se.Line != 1 {
			t.Errorf("Check(%q) = %v, want a syntax error on line 1", bad, err)
		}
	}
}

// TestIncludedErrorsNameTheirFile: an error while rendering an included or
// imported template says which file its position is in.
func TestIncludedErrorsNameTheirFile(t *testing.T) {
	e := New(Options{})
	dir := writeFiles(t, map[string]string{"inc.j2": "a\nb {{ nope }}", "outer.j2": "{% include 'inc.j2' %}", "m.j2": "{% set v = nope %}"})
	for src, want := range map[string]string{
		"x\n{% include 'outer.j2' %}": "in " + filepath.Join(dir, "inc.j2") + `: "{{ nope }}" at line 2, column 6: 'nope' is undefined`,
		"{% import 'm.j2' as m %}":    "in " + filepath.Join(dir, "m.j2") + ": ",
	} {
		_, err := e.RenderFile(src, []string{dir}, stmtScope())
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("RenderFile(%q) = %v, want an error starting %q", src, err, want)
		}
	}
}
