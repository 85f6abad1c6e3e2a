package main

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestLanguageAgainstAnsible runs each playbook of runner/testdata/lang
// (loops, lookups, string methods, key=value arguments) with ferry and
// compares the whole output, item lines, printed results and recap, with
// what ansible-playbook printed for the same playbook (NAME.ansible, made
// by ansible-playbook 2.14; FERRY_UPDATE_GOLDEN=1 writes them). ansible-playbook
// is run too and must still print the golden output. Only the text of a fatal
// error differs by design (ferry names file:line and the host), so fatal
// lines are compared up to "FAILED!".
func TestLanguageAgainstAnsible(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("..", "..", "runner", "testdata", "lang"))
	if err != nil {
		t.Fatal(err)
	}
	playbooks, _ := filepath.Glob(filepath.Join(dir, "*.yml"))
	if len(playbooks) == 0 {
		t.Fatal("no playbooks")
	}
	for _, pb := range playbooks {
		name := strings.TrimSuffix(filepath.Base(pb), ".yml")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := comparison{dir: dir, playbook: filepath.Base(pb), inventory: "inventory.ini"}
			live := func() (string, bool) {
				_, stdout, work, ran := c.ansible(t)
				return normalizeOutput(stdout, dir, work), ran
			}
			golden := expected(t, filepath.Join(dir, name+".ansible"), live)
			_, stdout, stderr, work := c.ferry(t)
			if got := normalizeOutput(stdout, dir, work); got != golden {
				t.Errorf("ferry's output differs from ansible-playbook's:\n%s\nstderr:\n%s", lineDiff(got, golden), stderr)
			}
			if got, ran := live(); ran && got != golden {
				t.Errorf("%s.ansible no longer matches ansible-playbook:\n%s", name, lineDiff(got, golden))
			}
		})
	}
}

var fatalDetail = regexp.MustCompile(`^(fatal: \[[^\]]+\]: FAILED!).*$`)

// normalizeOutput replaces the run's directories with DIR and WORKDIR,
// trims trailing spaces and cuts fatal lines after "FAILED!".
func normalizeOutput(out, dir, workdir string) string {
	out = strings.ReplaceAll(out, workdir, "WORKDIR")
	out = strings.ReplaceAll(out, dir, "DIR")
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		lines[i] = fatalDetail.ReplaceAllString(strings.TrimRight(l, " "), "$1")
	}
	return strings.TrimLeft(strings.Join(lines, "\n"), "\n")
}

// lineDiff shows the first lines that differ, with some context.
func lineDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		if i < len(g) && i < len(w) && g[i] == w[i] {
			continue
		}
		lo := max(i-3, 0)
		return "ferry (got), from line " + strconv.Itoa(lo+1) + ":\n" + strings.Join(g[lo:min(i+4, len(g))], "\n") +
			"\nansible-playbook (want):\n" + strings.Join(w[lo:min(i+4, len(w))], "\n")
	}
	return ""
}
