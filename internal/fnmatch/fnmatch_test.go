package fnmatch

import "testing"

// Python's fnmatch.fnmatchcase answers, measured with python3 -c.
func TestMatchAsPython(t *testing.T) {
	for _, c := range []struct {
		name, pattern string
		want          bool
	}{
		{"tree/sub/c.txt", "*.txt", true}, // * crosses /
		{"tree/sub/c.txt", "tree/*/c.txt", true},
		{"a.log", "*.txt", false},
		{"b.txt", "[!a]*", true},
		{"a.txt", "[!a]*", false},
		{"x/y", "x?y", true},
		{"[a", "[a", true}, // an unclosed set is literal
	} {
		if got := Match(c.name, c.pattern); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.name, c.pattern, got, c.want)
		}
	}
}
