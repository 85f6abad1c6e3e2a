package template

import (
	"strings"
	"testing"
)

// The seeds are the sources of the table tests, so `go test` runs them all
// through the fuzz bodies; `go test -fuzz` explores from there. No input may
// panic (the public API would turn a panic into an "internal error", which
// the bodies reject) or run unbounded.

var fuzzSeedExprs = []string{
	"x == 1 and y", "port | int + 1", "foo | default('d')", "foo.bar | default(3)", "m['b']['c']",
	"nums[::-1]", "'%s-%03d' % ('a', 7)", "users | selectattr('name', 'equalto', 'bob') | list",
	"1 if x == 2 else 2 if x == 1 else 3", "x < 2 <= 2", "name is match('W')", "range(1, 7, 2)",
	"'k=v' | regex_search('(\\\\w)=(\\\\w)', '\\\\2')", "{'a': [1]} | to_nice_json", "not not not x",
	"lookup('env', 'HOME')", "-x | abs", "x is divisibleby 1", "'a,b'.split(',')", "(1, 2)",
	"'x' * -1", "nums[1:2:0]", "'\\u00e9\\x41'", "1e308 * 10", "9223372036854775807 + 1",
}

var fuzzSeedTemplates = []string{
	"Hello {{ name }}!", "{{ {'a': {'b': 1}} }}", "{% for k, v in labels.items() %}{{ k }}={{ v }}{% endfor %}",
	"{% if x == 2 %}two{% elif x == 1 %}one{% else %}other{% endif %}", "{% raw %}{{ x }}{% endraw %}",
	"a  {%- if y %} b {% endif -%}  c", "{# c #}{{ x }}", "{% set s = nums | sum %}{{ s }}", "{{ '}}' }}",
	"{% for i in range(3) if i is odd %}{{ loop.index }}{% else %}none{% endfor %}", "{{", "{%", "{#", "{{-}}",
	"#jinja2: lstrip_blocks: True\n  {% if x %}y{% endif %}", "{% set ns = namespace(a=1) %}{% set ns.a = 2 %}{{ ns.a }}",
	"{% set a, b = 1, 2 %}{{ a }}", "{% include 'x' ignore missing %}", "{% block b %}{{ super() }}{% endblock %}",
}

func init() {
	for _, c := range stmtCases {
		fuzzSeedTemplates = append(fuzzSeedTemplates, c.files["main.j2"])
	}
}

func fuzzCheck(t *testing.T, src string, err error) {
	if err != nil && strings.Contains(err.Error(), "internal error") {
		t.Fatalf("%q: %v", src, err)
	}
}

func FuzzEval(f *testing.F) {
	for _, s := range fuzzSeedExprs {
		f.Add(s)
	}
	e := New(Options{Env: func(string) (string, bool) { return "", false }})
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 2000 {
			return
		}
		_, err := e.Eval(src, testScope())
		fuzzCheck(t, src, err)
		fuzzCheck(t, src, CheckExpr(src))
		_, err = ExprRefs(src)
		fuzzCheck(t, src, err)
	})
}

func FuzzRender(f *testing.F) {
	for _, s := range fuzzSeedTemplates {
		f.Add(s)
	}
	for _, s := range fuzzSeedExprs {
		f.Add("{{ " + s + " }} text")
	}
	e := New(Options{Env: func(string) (string, bool) { return "", false }})
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 2000 {
			return
		}
		_, err := e.Render(src, testScope())
		fuzzCheck(t, src, err)
		fuzzCheck(t, src, Check(src))
		_, err = Refs(src)
		fuzzCheck(t, src, err)
	})
}
