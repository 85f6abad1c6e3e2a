package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestWholeOutputAgainstAnsible compares the whole output of some cases of
// runner/testdata/lang with ansible-playbook's (the case's file output,
// FERRY_UPDATE_GOLDEN=1 writes it), fatal lines included, under the
// environment the case names: what TestCompareLanguage's recap and
// messages do not show. argspec: the implicit "Validating arguments
// against arg spec" tasks' titles and each validation failure's whole
// result; set-stats, set-stats-once: the CUSTOM STATS section after the
// recap; loop-none: the (item=None) labels.
func TestWholeOutputAgainstAnsible(t *testing.T) {
	cases := map[string][]string{
		"argspec":        nil,
		"set-stats":      {"ANSIBLE_SHOW_CUSTOM_STATS=1"},
		"loop-none":      nil,
		"set-stats-once": {"ANSIBLE_SHOW_CUSTOM_STATS=1"},
	}
	inv, err := filepath.Abs(filepath.Join("..", "..", "runner", "testdata", "compare", "inventory.ini"))
	must(t, err)
	for name, env := range cases {
		t.Run(name, func(t *testing.T) {
			for _, kv := range env { // both tools read it: ferry in this process, ansible-playbook as its child
				k, v, _ := strings.Cut(kv, "=")
				t.Setenv(k, v)
			}
			dir, err := filepath.Abs(filepath.Join("..", "..", "runner", "testdata", "lang", name))
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
		})
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
