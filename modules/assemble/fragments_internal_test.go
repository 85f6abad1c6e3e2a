package assemble

import "testing"

// join is assemble_from_fragments (outputs taken from ansible-core 2.14's
// function on the same fragments): a newline after a fragment without one,
// the delimiter decoded again before each use (\\n is "\n" written out the
// first time, a newline the second), Python's escapes, unknown ones kept.
func TestJoinAsAssembleFromFragments(t *testing.T) {
	fragments := []fragment{{"1", []byte("a\n")}, {"2", []byte("b")}, {"3", []byte("c")}}
	for delimiter, want := range map[string]string{
		`\\n`:          "a\n\\n\nb\n\nc",
		`--\x41\101\q`: "a\n--AA\\q\nb\n--AA\\q\nc",
		"x":            "a\nx\nb\nx\nc",
		"":             "a\nb\nc",
	} {
		if got := string(join(fragments, &delimiter)); got != want {
			t.Errorf("delimiter %q: %q, want %q", delimiter, got, want)
		}
	}
}
