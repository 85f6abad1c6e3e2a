package template

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// vars is a Scope over a plain map, as the runner's layers look from here.
type vars map[string]any

func (v vars) Lookup(name string) (any, bool, error) {
	x, ok := v[name]
	return x, ok, nil
}

func testScope() vars {
	return vars{
		"x": 1, "y": true, "no": false, "name": "World", "port": "8080", "empty": "",
		"nums": []any{3, 1, 2}, "words": []any{"b", "A", "c"}, "nothing": nil, "pi": 3.14,
		"m":      map[string]any{"a": 1, "b": map[string]any{"c": "deep"}},
		"res":    map[string]any{"failed": true, "changed": false, "rc": 2, "stdout": "oops"},
		"ok":     map[string]any{"failed": false, "changed": true, "skipped": false},
		"users":  []any{map[string]any{"name": "ann", "admin": true}, map[string]any{"name": "bob", "admin": false}},
		"i64":    int64(7),
		"strs":   []string{"p", "q"},
		"labels": map[string]string{"app": "dash"},
		"flag":   "no",
		"path":   "/etc/ferry/app.conf",
		"ver":    "1.10.2",
		"int":    5, // variables may share a name with a filter or an expr builtin
		"date":   "today",
		"yes":    "yes",
	}
}

func TestEval(t *testing.T) {
	e := New(Options{})
	cases := []evalCase{
		// literals and operators
		{"1 + 2 * 3", 7},
		{"(1 + 2) * 3", 9},
		{"7 / 2", 3.5},
		{"7 // 2", 3},
		{"-7 // 2", -4},
		{"7 % 3", 1},
		{"-7 % 3", 2},
		{"2 ** 10", 1024},
		{"1.5 + 1", 2.5},
		{"'a' ~ 1 ~ true", "a1True"},
		{"'ab' * 3", "ababab"},
		{"[1] + [2]", []any{1, 2}},
		{"'a' + 'b'", "ab"},
		{"true", true}, {"True", true}, {"false", false}, {"False", false},
		{"none", nil}, {"None", nil},
		{`"it's"`, "it's"},
		{`'tab\there'`, "tab\there"},
		{"'a' 'b'", "ab"},
		{"[1, 'two', [3]]", []any{1, "two", []any{3}}},
		{"{'k': 1, 'n': {'m': true}}", map[string]any{"k": 1, "n": map[string]any{"m": true}}},
		{"(1, 2)", []any{1, 2}},
		{"-x", -1},
		// comparisons and logic
		{"x == 1 and y", true},
		{"x == 1.0", true},
		{"x != 1 or no", false},
		{"not no", true},
		{"not empty", true},
		{"x < 2 <= 2", true},
		{"3 > x > 1", false},
		{"'b' > 'a'", true},
		{"x or 5", 1},
		{"empty or 'fallback'", "fallback"},
		{"x and 'second'", "second"},
		{"empty and 'second'", ""},
		{"'yes' if y else 'no'", "yes"},
		{"'yes' if no else 'no'", "no"},
		{"'yes' if no", ""},
		{"1 if x == 2 else 2 if x == 1 else 3", 2},
		// membership
		{"'orl' in name", true},
		{"'xyz' not in name", true},
		{"2 in nums", true},
		{"5 not in nums", true},
		{"'a' in m", true},
		{"'z' in m", false},
		{"'p' in strs", true},
		{"'app' in labels", true},
		// access
		{"m.a", 1},
		{"m['a']", 1},
		{"m.b.c", "deep"},
		{"m['b']['c']", "deep"},
		{"nums[0]", 3},
		{"nums[-1]", 2},
		{"nums.1", 1},
		{"nums[1:]", []any{1, 2}},
		{"nums[::-1]", []any{2, 1, 3}},
		{"name[:3]", "Wor"},
		{"name[0]", "W"},
		{"users[1].name", "bob"},
		{"labels.app", "dash"},
		{"strs[1]", "q"},
		{"res.rc + 1", 3},
		// methods
		{"'a,b'.split(',')", []any{"a", "b"}},
		{"'  x '.strip()", "x"},
		{"name.startswith('Wo')", true},
		{"name.endswith(('x', 'ld'))", true},
		{"name.lower()", "world"},
		{"'-'.join(['a', 'b'])", "a-b"},
		{"m.get('a')", 1},
		{"m.get('zz', 9)", 9},
		{"m.keys() | list", []any{"a", "b"}},
		{"labels.items()", []any{[]any{"app", "dash"}}},
		// tests
		{"foo is defined", false},
		{"foo is not defined", true},
		{"foo is undefined", true},
		{"x is defined", true},
		{"m.zz is defined", false},
		{"foo.bar is defined", false},
		{"foo['bar'] is defined", false},
		{"m.a is defined", true},
		{"nothing is none", true},
		{"x is none", false},
		{"name is string", true},
		{"x is string", false},
		{"x is number", true},
		{"pi is number", true},
		{"y is number", false},
		{"m is mapping", true},
		{"nums is mapping", false},
		{"nums is iterable", true},
		{"labels is mapping", true},
		{"res is failed", true},
		{"res is succeeded", false},
		{"res is success", false},
		{"ok is succeeded", true},
		{"ok is changed", true},
		{"res is changed", false},
		{"ok is skipped", false},
		{"name is match('Wor')", true},
		{"name is match('orl')", false},
		{"name is search('orl')", true},
		{"name is not search('^orl')", true},
		{"ver is version('1.9', '>')", true},
		{"ver is version('1.10.2', '==')", true},
		{"ver is version('2.0', 'lt')", true},
		{"'1.0rc1' is version('1.0.1', '<')", true},
		{"x is divisibleby 1", true},
		{"4 is even", true},
		{"x is odd", true},
		{"x is sameas 1", true},
		{"nothing is sameas none", true},
		{"2 is in nums", true},
		{"x is eq(1)", true},
		{"[1] is subset(nums)", true},
		{"y is boolean", true},
		{"flag is falsy", false},
		// functions
		{"range(3)", []any{0, 1, 2}},
		{"range(1, 7, 2)", []any{1, 3, 5}},
		{"range(3, 0, -1)", []any{3, 2, 1}},
		{"dict(a=1)", map[string]any{"a": 1}},
		// guards: default and friends never error on undefined
		{"foo | default('d')", "d"},
		{"foo | d(3)", 3},
		{"foo.bar | default('d')", "d"},
		{"foo['x'] | default('y')", "y"},
		{"m.zz | default(0) + 1", 1},
		{"m.b.zz | default('none here')", "none here"},
		{"nums[10] | default(-1)", -1},
		{"empty | default('e')", ""},
		{"empty | default('e', true)", "e"},
		{"empty | default('e', boolean=true)", "e"},
		{"foo | default(bar | default(2))", 2},
		{"foo is defined and foo > 1", false},
		{"foo is not defined or foo > 1", true},
		{"(foo | default(1)) if foo is defined else 'unset'", "unset"},
		// variables named like filters or expr builtins are plain variables
		{"int | int + date | length", 10},
		// values of other Go types
		{"i64 + 1", 8},
		{"i64 is number", true},
		{"strs | join(',')", "p,q"},
		{"labels | dict2items", []any{map[string]any{"key": "app", "value": "dash"}}},
		{"'%s-%03d' % ('a', 7)", "a-007"},
		{"'%s' % name", "%s"[:0] + "World"},
	}
	checkEvals(t, e, cases)
}

func TestFilters(t *testing.T) {
	e := New(Options{})
	cases := []evalCase{
		{"port | int + 1", 8081},
		{"port|int+1", 8081},
		{"'3.7' | int", 3},
		{"'abc' | int", 0},
		{"'abc' | int(default=-1)", -1},
		{"'0x1A' | int(base=16)", 26},
		{"'1.5' | float * 2", 3.0},
		{"'x' | float", 0.0},
		{"x | float", 1.0},
		{"flag | bool", false},
		{"yes | bool", true},
		{"'On' | bool", true},
		{"'1' | bool", true},
		{"'banana' | bool", false},
		{"x | string", "1"},
		{"y | string", "True"},
		{"nums | string", "[3, 1, 2]"},
		{"'  Hi ' | trim | lower", "hi"},
		{"name | upper", "WORLD"},
		{"'xxhixx' | trim('x')", "hi"},
		{"'hello world' | capitalize", "Hello world"},
		{"'hello world' | title", "Hello World"},
		{"name | length", 5},
		{"nums | count", 3},
		{"m | length", 2},
		{"'héllo' | length", 5},
		{"nums | join(', ')", "3, 1, 2"},
		{"nums | join", "312"},
		{"'a b  c' | split", []any{"a", "b", "c"}},
		{"'a,b' | split(',')", []any{"a", "b"}},
		{"name | replace('o', '0')", "W0rld"},
		{"'aaa' | replace('a', 'b', 2)", "bba"},
		{"path | basename", "app.conf"},
		{"path | dirname", "/etc/ferry"},
		{"'dir/' | basename", ""},
		{"name | b64encode", "V29ybGQ="},
		{"'V29ybGQ=' | b64decode", "World"},
		{"{'b': [1, 2.5, none], 'a': 'é\"'} | to_json", `{"b": [1, 2.5, null], "a": "\u00e9\""}`},
		{"{'b': 1, 'a': 2} | to_json(sort_keys=true)", `{"a": 2, "b": 1}`},
		{"{'b': 1, 'a': 2} | to_nice_json(indent=0, sort_keys=false)", "{\n\"b\": 1,\n\"a\": 2\n}"},
		{"{'b': 1, 'a': 2} | to_nice_json(indent=0)", "{\n\"a\": 2,\n\"b\": 1\n}"},
		{"'{\"z\": 1, \"y\": {\"q\": 2, \"p\": 3}}' | from_json | to_json", `{"z": 1, "y": {"q": 2, "p": 3}}`},
		{"'z: 1\ny: {q: 2, p: 3}' | from_yaml | string", "{'z': 1, 'y': {'q': 2, 'p': 3}}"},
		{"{'z': 1, 'y': {'q': 2}} | combine({'a': 0, 'y': {'p': 3}}, recursive=true) | string", "{'z': 1, 'y': {'q': 2, 'p': 3}, 'a': 0}"},
		{"dict([['b', 1], ['a', 2]], c=3) | list", []any{"b", "a", "c"}},
		{"[{'key': 'b', 'value': 1}, {'key': 'a', 'value': 2}] | items2dict | list", []any{"b", "a"}},
		{"{'a': [1]} | to_nice_json", "{\n    \"a\": [\n        1\n    ]\n}"},
		{"{'a': 1} | to_nice_json(indent=2)", "{\n  \"a\": 1\n}"},
		{`'{"a": [1, 2.5, "x"]}' | from_json`, map[string]any{"a": []any{1, 2.5, "x"}}},
		{"{'a': [1, 2]} | to_yaml", "a: [1, 2]\n"},
		{"'a: [1, b]' | from_yaml", map[string]any{"a": []any{1, "b"}}},
		{"'port 8080 open' | regex_search('[0-9]+')", "8080"},
		{"'nothing' | regex_search('[0-9]+')", nil},
		{"'k=v' | regex_search('(\\\\w)=(\\\\w)', '\\\\2', '\\\\1')", []any{"v", "k"}},
		{"'k=v' | regex_search('(?P<key>\\\\w)=', '\\\\g<key>')", []any{"k"}},
		{"'ABC' | regex_search('b', ignorecase=true)", "B"},
		{"'a1b22' | regex_replace('[0-9]+', '#')", "a#b#"},
		{"'user@host' | regex_replace('^(\\\\w+)@(\\\\w+)$', '\\\\2:\\\\1')", "host:user"},
		{"'cost' | regex_replace('c', '$')", "$ost"},
		{"'a1b2' | regex_findall('[0-9]')", []any{"1", "2"}},
		{"'a.b' | regex_escape", `a\.b`},
		{"nums | first", 3},
		{"nums | last", 2},
		{"name | first", "W"},
		{"[1, 2, 1, 3, 2] | unique", []any{1, 2, 3}},
		{"nums | sort", []any{1, 2, 3}},
		{"nums | sort(reverse=true)", []any{3, 2, 1}},
		{"words | sort", []any{"A", "b", "c"}},
		{"users | sort(attribute='name', reverse=true) | map(attribute='name') | list", []any{"bob", "ann"}},
		{"nums | min", 1},
		{"nums | max", 3},
		{"m | list", []any{"a", "b"}},
		{"'ab' | list", []any{"a", "b"}},
		{"nums | reverse", []any{2, 1, 3}},
		{"[1, [2, [3]]] | flatten", []any{1, 2, 3}},
		{"[1, [2, [3]]] | flatten(1)", []any{1, 2, []any{3}}},
		{"nums | sum", 6},
		{"{'b': 2, 'a': 1} | dict2items", []any{map[string]any{"key": "b", "value": 2}, map[string]any{"key": "a", "value": 1}}},
		{"[{'key': 'a', 'value': 1}] | items2dict", map[string]any{"a": 1}},
		{"[{'n': 'a', 'v': 1}] | items2dict(key_name='n', value_name='v')", map[string]any{"a": 1}},
		{"{'a': 1, 'b': {'x': 1}} | combine({'b': {'y': 2}})", map[string]any{"a": 1, "b": map[string]any{"y": 2}}},
		{"{'a': 1, 'b': {'x': 1}} | combine({'b': {'y': 2}}, recursive=true)", map[string]any{"a": 1, "b": map[string]any{"x": 1, "y": 2}}},
		{"{'l': [1]} | combine({'l': [2]}, list_merge='append')", map[string]any{"l": []any{1, 2}}},
		{"[{'a': 1}, {'b': 2}] | combine", map[string]any{"a": 1, "b": 2}},
		{"nums | select('odd') | list", []any{3, 1}},
		{"nums | reject('odd') | list", []any{2}},
		{"[0, 1, '', 'a'] | select | list", []any{1, "a"}},
		{"words | map('lower') | list", []any{"b", "a", "c"}},
		{"words | map('regex_replace', '^', '-') | list", []any{"-b", "-A", "-c"}},
		{"users | map(attribute='name') | join(',')", "ann,bob"},
		{"users | map(attribute='zz', default='?') | list", []any{"?", "?"}},
		{"users | selectattr('admin') | map(attribute='name') | list", []any{"ann"}},
		{"users | rejectattr('admin') | map(attribute='name') | first", "bob"},
		{"users | selectattr('name', 'equalto', 'bob') | list | length", 1},
		{"users | selectattr('name', '==', 'ann') | map(attribute='admin') | first", true},
		{"users | selectattr('name', 'match', '^b') | map(attribute='name') | list", []any{"bob"}},
		{"users | selectattr('zz', 'defined') | list", []any{}},
		{"users | selectattr('name', 'in', ['ann']) | list | length", 1},
		{"[1, 2, 3] | difference([2])", []any{1, 3}},
		{"[1, 2, 3] | intersect([3, 2, 9])", []any{2, 3}},
		{"[1, 2] | union([2, 3])", []any{1, 2, 3}},
		{"[1, 2] | symmetric_difference([2, 3])", []any{1, 3}},
		{"\"it's\" | quote", `'it'"'"'s'`},
		{"'safe-word_1.2' | quote", "safe-word_1.2"},
		{"'' | quote", "''"},
		{"'a b' | quote", "'a b'"},
		{"x | mandatory", 1},
		{"'abc' | hash('sha256')", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"'abc' | hash('md5')", "900150983cd24fb0d6963f7d28e17f72"},
		{"'abc' | checksum", "a9993e364706816aba3e25717850c26c9cd0d89d"},
		{"-3 | abs", 3},
		{"-x | abs", 1},
		{"2.5 | round", 3.0},
		{"3.14159 | round(2)", 3.14},
		{"3.2 | round(method='ceil')", 4.0},
		{"3.7 | round | int", 4},
		{"y | ternary('on', 'off')", "on"},
		{"nothing | ternary('t', 'f', 'n')", "n"},
		{"'a\\nb' | indent(2)", "a\n  b"},
		{"'a\\nb' | indent(2, true)", "  a\n  b"},
		{"'%s=%s' | format('k', 1)", "k=1"},
		{"['/etc', 'ferry', 'x.conf'] | path_join", "/etc/ferry/x.conf"},
		{"m | dictsort | first", []any{"a", 1}},
		{"x | type_debug", "int"},
		{"'<a>' | e", "&lt;a&gt;"},
		{"ver | version_compare('1.2', '>=')", true},
		{"name | ansible.builtin.upper", "WORLD"},
		{"(nums | sort)[0]", 1},
		{"nums | sort | first + 10", 11},
	}
	checkEvals(t, e, cases)
}

type evalCase struct {
	src  string
	want any
}

// checkEvals evaluates every case against testScope.
func checkEvals(t *testing.T, e *Engine, cases []evalCase) {
	t.Helper()
	for _, c := range cases {
		got, err := e.Eval(c.src, testScope())
		if err != nil {
			t.Errorf("Eval(%q): unexpected error: %v", c.src, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Eval(%q) = %#v, want %#v", c.src, got, c.want)
		}
	}
}

func TestEvalBool(t *testing.T) {
	e := New(Options{})
	cases := []struct {
		src  string
		want bool
	}{
		{"x == 1 and y", true},
		{"flag", true},        // "no" from -e is a non-empty string: true, as in ansible-core 2.14
		{"{{ flag }}", false}, // a templated condition's text is evaluated again: no is false
		{"yes", true},
		{"empty", false},
		{"name", true},
		{"nums", true},
		{"[]", false},
		{"{}", false},
		{"nothing", false},
		{"0", false},
		{"0.0", false},
		{"'false'", true},
		{"'False'", true},
		{"'0'", true},
		{"{{ '0' }}", false},
		{"{{ x == 1 }}", true},
		{"  {{ no }}  ", false},
		{"res is failed and res.rc != 0", true},
		{"foo is defined and foo", false},
		{"ok.changed or res.changed", true},
	}
	for _, c := range cases {
		got, err := e.EvalBool(c.src, testScope())
		if err != nil {
			t.Errorf("EvalBool(%q): unexpected error: %v", c.src, err)
			continue
		}
		if got != c.want {
			t.Errorf("EvalBool(%q) = %v, want %v", c.src, got, c.want)
		}
	}
}

func TestEvalErrors(t *testing.T) {
	e := New(Options{})
	cases := []struct {
		src  string
		want []string // substrings of the message
	}{
		{"foo", []string{`'foo' is undefined`, `undefined variable "foo"`}},
		{"foo + 1", []string{`'foo' is undefined`}},
		{"foo == 1", []string{`'foo' is undefined`}},
		{"foo.bar", []string{`'foo' is undefined`}},
		{"foo | int", []string{`'foo' is undefined`}},
		{"[foo]", []string{`'foo' is undefined`}},
		{"x == 1 and foo", []string{`'foo' is undefined`}},
		{"m.zz", []string{`'m' has no attribute 'zz'`}},
		{"m.b.zz", []string{`'m.b' has no attribute 'zz'`}},
		{"m['zz'] + 1", []string{`'m' has no attribute 'zz'`}},
		{"nums[10]", []string{`'nums' has no item 10`}},
		{"nothing.a", []string{`'nothing' is None`}},
		{"foo | mandatory", []string{`Mandatory variable 'foo' not defined`}},
		{"foo | mandatory('set foo first')", []string{`set foo first`}},
		{"'a' < 1", []string{`cannot compare 'str' and 'int'`}},
		{"1 / 0", []string{"division by zero"}},
		{"x | length", []string{"object of type 'int' has no len()"}},
		{"'a' | hash('crc')", []string{"filter 'hash'", "unsupported hash type 'crc'"}},
		{"'x' | regex_search('(?<=a)b')", []string{"invalid regular expression"}},
		{"x | int(bogus=1)", []string{"unexpected keyword argument 'bogus'"}},
		{"res is failed(1)", []string{"test 'failed'", "at most 0 arguments"}},
		{"x is failed", []string{"expects a registered task result"}},
		{"range(10000000)", []string{"range() larger than"}},
		{"'x' * 100000000", []string{"result longer than"}},
		{"nums.split(',')", []string{"'list' object has no method 'split'"}},
		{"[1] | first | int + 'a'", []string{"unsupported operand types for +: 'int' and 'str'"}},
		{"5 in x", []string{"argument of type 'int' is not iterable"}},
	}
	for _, c := range cases {
		_, err := e.Eval(c.src, testScope())
		if err == nil {
			t.Errorf("Eval(%q): no error, want one containing %q", c.src, c.want)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Eval(%q) error = %q, want it to contain %q", c.src, err, w)
			}
		}
		if !strings.Contains(err.Error(), c.src) {
			t.Errorf("Eval(%q) error = %q, want it to quote the expression", c.src, err)
		}
	}
}

func TestUndefinedErrorType(t *testing.T) {
	_, err := New(Options{}).Eval("m.a + missing_var", testScope())
	var ue *UndefinedError
	if !errors.As(err, &ue) || ue.Name != "missing_var" {
		t.Fatalf("error %v: want an *UndefinedError naming missing_var, got %#v", err, ue)
	}
}

func TestSyntaxErrors(t *testing.T) {
	cases := []struct {
		src  string
		col  int
		want string
	}{
		{"x |", 4, "expected a filter name"},
		{"x | nosuch", 5, "unknown filter 'nosuch'"},
		{"x | json_query('a')", 5, "collection filter that ferry does not have: select with selectattr"},
		{"x | ansible.utils.ipaddr('address')", 5, "unknown filter 'ansible.utils.ipaddr': ansible.utils' ip filters are a collection's"},
		{"x | xmlattr", 5, "unknown filter 'xmlattr': ferry does not implement it"},
		{"x is nosuch", 6, "unknown test 'nosuch'"},
		{"(1 + 2", 7, "expected ')'"},
		{"'abc", 1, "unterminated string"},
		{"x == = 1", 6, "expected a value"},
		{"x $ 1", 3, "unexpected character '$'"},
		{"1 2", 3, "unexpected '2' after the end"},
		{"nosuchfn(1)", 1, "unknown function 'nosuchfn'"},
		{"lookup('hashi_vault', 'x')", 8, "lookup plugin 'hashi_vault' is not supported"},
		{"x.nosuch()", 3, "unsupported method 'nosuch()'"},
		{"x[]", 3, "empty subscript"},
		{"not", 4, "unexpected end of expression"},
		{"a if", 5, "unexpected end of expression"},
		{"x(1)", 1, "unknown function 'x'"},
		{"1(2)", 2, "cannot be called"},
		{"range(a=1, 2)", 12, "positional argument after a keyword argument"},
		{strings.Repeat("(", 200) + "1" + strings.Repeat(")", 200), 0, "nested too deeply"},
		{"a {{ b }}", 3, "must not mix text"},
	}
	for _, c := range cases {
		err := CheckExpr(c.src)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("CheckExpr(%q) = %v, want a *SyntaxError", c.src, err)
			continue
		}
		if !strings.Contains(se.Msg, c.want) {
			t.Errorf("CheckExpr(%q) message %q, want it to contain %q", c.src, se.Msg, c.want)
		}
		if c.col > 0 && se.Col != c.col {
			t.Errorf("CheckExpr(%q) column %d, want %d (%v)", c.src, se.Col, c.col, err)
		}
		if _, err := New(Options{}).Eval(c.src, testScope()); err == nil || err.Error() != se.Error() {
			t.Errorf("Eval(%q) error %v, want the same as CheckExpr: %v", c.src, err, se)
		}
	}
}

func TestCheckExprAcceptsValid(t *testing.T) {
	for _, src := range []string{"x == 1 and y", "foo | default(1) + 2", "a is defined and a.b is version('1', '>=')",
		"{{ x }}", "lookup('env', 'HOME')", "lookup(plugin_var, 'x')", "ansible_facts['os_family'] == 'Debian'"} {
		if err := CheckExpr(src); err != nil {
			t.Errorf("CheckExpr(%q): unexpected error %v", src, err)
		}
	}
}

func TestLookup(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "key.pub"), []byte("ssh-ed25519 AAAA\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HOME": "/home/ferry", "EMPTY": ""}
	e := New(Options{BaseDir: dir, Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	cases := []struct {
		src  string
		want any
	}{
		{"lookup('file', 'key.pub')", "ssh-ed25519 AAAA"},
		{"lookup('file', '" + filepath.Join(dir, "key.pub") + "')", "ssh-ed25519 AAAA"},
		{"lookup('ansible.builtin.file', 'key.pub')", "ssh-ed25519 AAAA"},
		{"lookup('env', 'HOME')", "/home/ferry"},
		{"lookup('env', 'NOPE')", ""},
		{"lookup('env', 'NOPE', default='d')", "d"},
		{"lookup('env', 'HOME', 'EMPTY')", "/home/ferry,"},
		{"query('env', 'HOME')", []any{"/home/ferry"}},
		{"lookup('env', 'HOME') ~ '/.ssh'", "/home/ferry/.ssh"},
	}
	for _, c := range cases {
		got, err := e.Eval(c.src, vars{})
		if err != nil {
			t.Errorf("Eval(%q): %v", c.src, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Eval(%q) = %#v, want %#v", c.src, got, c.want)
		}
	}
	if _, err := e.Eval("lookup('file', 'missing.txt')", vars{}); err == nil || !strings.Contains(err.Error(), "missing.txt") {
		t.Errorf("lookup of a missing file: error %v, want one naming the file", err)
	}
	if _, err := e.Eval("lookup(p, 'x')", vars{"p": "hashi_vault"}); err == nil || !strings.Contains(err.Error(), "lookup plugin 'hashi_vault' is not supported") {
		t.Errorf("lookup with a dynamic unsupported plugin: error %v", err)
	}
}

func TestNilScope(t *testing.T) {
	v, err := New(Options{}).Eval("1 + 1", nil)
	if err != nil || v != 2 {
		t.Fatalf("Eval with a nil scope = %v, %v", v, err)
	}
}

// countingScope records lookups, to show that a program reads only the
// variables it references, once each.
type countingScope struct {
	vars
	seen map[string]int
}

func (c *countingScope) Lookup(name string) (any, bool, error) {
	c.seen[name]++
	return c.vars.Lookup(name)
}

func TestLooksUpOnlyReferencedNames(t *testing.T) {
	s := &countingScope{vars: testScope(), seen: map[string]int{}}
	if _, err := New(Options{}).Eval("x + x + m.a + (foo | default(0))", s); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"x": 1, "m": 1, "foo": 1}
	if !reflect.DeepEqual(s.seen, want) {
		t.Fatalf("lookups = %v, want %v", s.seen, want)
	}
}
