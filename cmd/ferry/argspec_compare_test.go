package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestArgspecOutputAgainstAnsible compares the whole output of the argspec
// case (runner/testdata/lang/argspec) with ansible-playbook's: the implicit
// "Validating arguments against arg spec" tasks' titles and places, and
// each validation failure's whole result (argument_errors, msg,
// argument_spec_data, validate_args_context), which TestCompareLanguage's
// recap and messages do not show.
func TestArgspecOutputAgainstAnsible(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("..", "..", "runner", "testdata", "lang", "argspec"))
	must(t, err)
	inv, err := filepath.Abs(filepath.Join("..", "..", "runner", "testdata", "compare", "inventory.ini"))
	must(t, err)
	c := comparison{dir: dir, playbook: "site.yml", inventory: inv}
	live := func() (string, bool) {
		_, stdout, work, ran := c.ansible(t)
		return wholeOutput(stdout, dir, work), ran
	}
	golden := expected(t, filepath.Join(dir, "output"), live)
	_, stdout, stderr, work := c.ferry(t)
	if got := wholeOutput(stdout, dir, work); got != golden {
		t.Errorf("ferry's output differs from ansible-playbook's:\n%s\nstderr:\n%s", lineDiff(got, golden), stderr)
	}
	if got, ran := live(); ran && got != golden {
		t.Errorf("output no longer matches ansible-playbook:\n%s", lineDiff(got, golden))
	}
}

// wholeOutput is the output with the run's directories named DIR and
// WORKDIR and trailing spaces trimmed; fatal lines are kept whole.
func wholeOutput(out, dir, workdir string) string {
	out = strings.ReplaceAll(strings.ReplaceAll(out, workdir, "WORKDIR"), dir, "DIR")
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.TrimLeft(strings.Join(lines, "\n"), "\n")
}
