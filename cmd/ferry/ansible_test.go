package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
)

// comparison is one input that the comparison tests run through ferry and
// through ansible-playbook the same way: a playbook and an inventory (paths
// relative to dir, where ansible-playbook runs), extra arguments, and a
// fresh directory for each run's files, passed as the variable workdir;
// env is added to ansible-playbook's environment.
type comparison struct {
	dir, playbook, inventory string
	args, env                []string
}

// ferry runs the input through ferry, with a copy of the inventory in a
// directory of the test's: the run's journal goes beside the inventory
// (SITE/.ferry/journal), and must not pile up in the checkout's testdata.
func (c comparison) ferry(t *testing.T) (code int, stdout, stderr, work string) {
	t.Helper()
	work = t.TempDir()
	inventory := filepath.Join(t.TempDir(), filepath.Base(c.inventory))
	data, err := os.ReadFile(c.path(c.inventory))
	must(t, err)
	must(t, os.WriteFile(inventory, data, 0o600))
	args := append([]string{"run", c.path(c.playbook), "-i", inventory, "-e", "workdir=" + work}, c.args...)
	code, stdout, stderr = ferry(t, args...)
	return code, stdout, stderr, work
}

func (c comparison) path(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.dir, p)
}

// ansible runs the input through ansible-playbook. ran is false when it is
// not installed: the test then compares with its golden file only, which
// CI does not accept (ansiblecmp.Playbook fails the test under CI=1).
func (c comparison) ansible(t *testing.T) (code int, stdout, work string, ran bool) {
	t.Helper()
	code, stdout, _, work, ran = c.ansibleStreams(t)
	return code, stdout, work, ran
}

// ansibleStreams is ansible with the run's stderr too.
func (c comparison) ansibleStreams(t *testing.T) (code int, stdout, stderr, work string, ran bool) {
	t.Helper()
	work = t.TempDir()
	args := append([]string{"-i", c.inventory, c.playbook, "-e", "workdir=" + work}, c.args...)
	code, stdout, stderr, ran = ansiblecmp.Playbook(t, c.dir, args, append([]string{"ANSIBLE_DEPRECATION_WARNINGS=0"}, c.env...)...)
	return code, stdout, stderr, work, ran
}

// expected is the golden file's content: what ansible-playbook gave for the
// input. With FERRY_UPDATE_GOLDEN=1 (ansiblecmp.UpdateEnv) the file is
// first written from live(), a live run of ansible-playbook reduced to what
// the test compares.
func expected(t *testing.T, path string, live func() (string, bool)) string {
	t.Helper()
	if ansiblecmp.Updating() {
		got, ok := live()
		if !ok {
			t.Fatal("ansible-playbook is needed to write golden files")
		}
		must(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no golden file: write it from ansible-playbook with %s=1 go test -run %s (%v)", ansiblecmp.UpdateEnv, t.Name(), err)
	}
	return string(want)
}

var recapLine = regexp.MustCompile(`^\S+\s+: ok=`)

// recapLines are the PLAY RECAP's host lines.
func recapLines(out string) string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if recapLine.MatchString(l) {
			lines = append(lines, strings.TrimRight(l, " "))
		}
	}
	return strings.Join(lines, "\n")
}
