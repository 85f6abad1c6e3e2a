package anylist

import (
	"reflect"
	"testing"
)

// TestLines: Python's str.splitlines() for the line ends pip and other
// commands print.
func TestLines(t *testing.T) {
	for in, want := range map[string][]any{
		"":              {},
		"a":             {"a"},
		"a\n":           {"a"},
		"a\nb":          {"a", "b"},
		"a\r\nb\rc\n\n": {"a", "b", "c", ""},
		"\n":            {""},
	} {
		if got := Lines(in); !reflect.DeepEqual(got, want) {
			t.Errorf("Lines(%q) = %q, want %q", in, got, want)
		}
	}
}
