package pyre

import "testing"

// Python's \Z is the very end; Python's replacement syntax becomes Go's.
func TestCompileAndReplacement(t *testing.T) {
	re, err := Compile(`end\Z`)
	if err != nil || !re.MatchString("the end") || re.MatchString("the end\n") {
		t.Errorf(`\Z: %v`, err)
	}
	re, _ = Compile(`(?P<k>\w+)=(\d+)`)
	for repl, want := range map[string]string{`\2=\1`: "1=a", `\g<k>:$`: "a:$", `[\g<2>]\n`: "[1]\n", `\\`: `\`} {
		m := re.FindStringSubmatchIndex("a=1")
		if got := string(re.ExpandString(nil, Replacement(repl), "a=1", m)); got != want {
			t.Errorf("%q: got %q, want %q", repl, got, want)
		}
	}
}
