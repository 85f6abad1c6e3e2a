package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestWarningsAgainstAnsible compares the warnings of runner/testdata/warnings
// with ansible-playbook's: on stderr, none on stdout, wrapped and repeated
// as Display.warning prints them (the golden file stderr, written with
// FERRY_UPDATE_GOLDEN=1).
func TestWarningsAgainstAnsible(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("..", "..", "runner", "testdata", "warnings"))
	must(t, err)
	inv, err := filepath.Abs(filepath.Join("..", "..", "runner", "testdata", "compare", "inventory.ini"))
	must(t, err)
	c := comparison{dir: dir, playbook: "site.yml", inventory: inv}
	live := func() (string, bool) {
		_, stdout, stderr, work, ran := c.ansibleStreams(t)
		if ran && strings.Contains(stdout, "[WARNING]") {
			t.Errorf("ansible-playbook printed a warning on stdout:\n%s", stdout)
		}
		return wholeOutput(stderr, dir, work), ran
	}
	want := expected(t, filepath.Join(dir, "stderr"), live)
	code, stdout, stderr, work := c.ferry(t)
	if code != 0 || strings.Contains(stdout, "[WARNING]") {
		t.Errorf("exit %d, or a warning on stdout:\n%s", code, stdout)
	}
	if got := wholeOutput(stderr, dir, work); got != want {
		t.Errorf("ferry's stderr differs from ansible-playbook's:\n%s", lineDiff(got, want))
	}
	if got, ran := live(); ran && got != want {
		t.Errorf("stderr no longer matches ansible-playbook's:\n%s", lineDiff(got, want))
	}
}
