package template

import (
	"strings"
	"testing"
)

// TestStringMethods: each expected value is what Jinja2 (as Ansible runs it)
// returned for the same expression, recorded with python3's jinja2.
func TestStringMethods(t *testing.T) {
	checkEvals(t, New(Options{}), []evalCase{
		{"'hello'.find('l')", 2},
		{"'hello'.find('z')", -1},
		{"'hello'.rfind('l')", 3},
		{"'h\u00e9llo'.find('l')", 2},
		{"'hello'.find('l', 3)", 3},
		{"'hello'.index('e')", 1},
		{"'a,b,c'.count(',')", 2},
		{"'a,b,c'.rsplit(',', 1)", []any{"a,b", "c"}},
		{"'a,b,c'.split(',', 1)", []any{"a", "b,c"}},
		{"'  a b  c '.split(None, 1)", []any{"a", "b  c "}},
		{"' a b c '.rsplit(None, 1)", []any{" a b", "c"}},
		{"'42'.zfill(5)", "00042"},
		{"'-42'.zfill(5)", "-0042"},
		{"'ab'.ljust(5, '.')", "ab..."},
		{"'ab'.rjust(5)", "   ab"},
		{"'ab'.center(7, '*')", "***ab**"},
		{"'abc'.center(6)", " abc  "},
		{"'hello world'.title()", "Hello World"},
		{"'hELLO'.capitalize()", "Hello"},
		{"'k=v=w'.partition('=')", []any{"k", "=", "v=w"}},
		{"'k=v=w'.rpartition('=')", []any{"k=v", "=", "w"}},
		{"'a\\nb\\r\\nc\\n'.splitlines()", []any{"a", "b", "c"}},
		{"'a\\n\\nb'.splitlines()", []any{"a", "", "b"}},
		{"'a\\nb'.splitlines(true)", []any{"a\n", "b"}},
		{"'123'.isdigit()", true},
		{"''.isdigit()", false},
		{"'abc'.isalpha()", true},
		{"'ab1'.isalnum()", true},
		{"'  '.isspace()", true},
		{"'abc1'.islower()", true},
		{"'ABC'.isupper()", true},
		{"'Hello World'.istitle()", true},
		{"'Hello world'.istitle()", false},
		{"'xxhixx'.strip('x')", "hi"},
		{"'xxhi'.lstrip('x')", "hi"},
		{"'hixx'.rstrip('x')", "hi"},
		{"'-'.join(['a', 'b'])", "a-b"},
		{"'{} and {}'.format('a', 1)", "a and 1"},
		{"'{1}{0}'.format('a', 'b')", "ba"},
		{"'{name}!'.format(name='x')", "x!"},
		{"'{:>5}|{:<4}|{:^6}'.format('a', 'b', 'c')", "    a|b   |  c   "},
		{"'{:05d}'.format(42)", "00042"},
		{"'{:.2f}'.format(3.14159)", "3.14"},
		{"'{:,}'.format(1234567)", "1,234,567"},
		{"'{:x}|{:#x}|{:b}|{:o}|{:X}'.format(255, 255, 5, 8, 255)", "ff|0xff|101|10|FF"},
		{"'{0[0]}-{0[1]}'.format(['a', 'b'])", "a-b"},
		{"'{m[a]}'.format(m={'a': 1})", "1"},
		{"'{!r}'.format('a')", "'a'"},
		{"'{:+d}|{: d}|{:d}'.format(5, 5, -5)", "+5| 5|-5"},
		{"{{ '{{}}{}'.format(1) }}", "{}1"},
		{"'a b c'.replace(' ', '_', 1)", "a_b c"},
		{"'abc'.endswith(('x', 'c'))", true},
		{"'Hello'.swapcase()", "hELLO"},
		{"'{:e}'.format(12345.678)", "1.234568e+04"},
		{"'{:g}|{:g}|{:g}'.format(0.0001, 1e20, 123456789.0)", "0.0001|1e+20|1.23457e+08"},
		{"'{:%}|{:.1%}'.format(0.25, 0.25)", "25.000000%|25.0%"},
		{"'{}|{}|{}'.format(1.0, none, [1, 'a'])", "1.0|None|[1, 'a']"},
		{"'{:10}|{:*^9}|{:<5}|'.format(3, 'mid', 1.5)", "         3|***mid***|1.5  |"},
		{"'{:.3}|{:.3}'.format('abcdef', 3.14159)", "abc|3.14"},
		{"'{:08.3f}|{:=+8d}'.format(-3.14159, 42)", "-003.142|+     42"},
		{"'{:_}'.format(1234567)", "1_234_567"},
		{"'v1.2.3'.removeprefix('v')", "1.2.3"},
		{"'a.tar.gz'.rsplit('.', 2)", []any{"a", "tar", "gz"}},
		{"'a b'.split(' ', 5)", []any{"a", "b"}},
		{"'a  b'.split(' ')", []any{"a", "", "b"}},
		{"name.upper().center(9, '-')", "--WORLD--"},
		{"'%s-%s' % ('a', 'b')", "a-b"},
	})
}

func TestStringMethodErrors(t *testing.T) {
	e := New(Options{})
	for src, want := range map[string]string{
		"'hello'.index('z')":      "substring not found",
		"'ab'.center(5, '**')":    "exactly one character",
		"'{}{}'.format(1)":        "out of range",
		"'{x}'.format(y=1)":       "KeyError",
		"'{'.format(1)":           "single '{'",
		"'a'.split('')":           "empty separator",
		"'{:d}'.format('a')":      "unknown format code 'd'",
		"'{:q}'.format(1)":        "", // any error
		"'x'.zfill('a')":          "integer",
		"'{:99999999}'.format(1)": "too large",
		"'a'.startswith(1)":       "string",
		"'a'.nosuchmethod()":      "unsupported method",
	} {
		_, err := e.Eval(src, testScope())
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Eval(%q): error %v, want one containing %q", src, err, want)
		}
	}
}
