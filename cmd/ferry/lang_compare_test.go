package main

import (
	"bytes"
	"os"
	"os/exec"
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
// by ansible-playbook 2.14). When ansible-playbook is installed it is run
// too and must still print the golden output. Only the text of a fatal
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
			goldenFile := filepath.Join(dir, name+".ansible")
			if os.Getenv("FERRY_RECORD_ANSIBLE") != "" { // record the golden output from ansible-playbook
				if live, ok := ansibleOutput(t, dir, pb); ok {
					if err := os.WriteFile(goldenFile, []byte(live), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			golden, err := os.ReadFile(goldenFile)
			if err != nil {
				t.Fatalf("golden output: %v (record it: FERRY_RECORD_ANSIBLE=1 go test -run TestLanguageAgainstAnsible)", err)
			}
			workdir := t.TempDir()
			var stdout, stderr bytes.Buffer
			run([]string{"run", pb, "-i", filepath.Join(dir, "inventory.ini"), "-e", "workdir=" + workdir}, &stdout, &stderr)
			if got := normalizeOutput(stdout.String(), dir, workdir); got != string(golden) {
				t.Errorf("ferry's output differs from ansible-playbook's:\n%s\nstderr:\n%s", lineDiff(got, string(golden)), stderr.String())
			}
			if live, ok := ansibleOutput(t, dir, pb); ok && live != string(golden) {
				t.Errorf("%s.ansible no longer matches ansible-playbook:\n%s", name, lineDiff(live, string(golden)))
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

// ansibleOutput runs ansible-playbook on the playbook, if installed.
func ansibleOutput(t *testing.T, dir, pb string) (string, bool) {
	bin, err := exec.LookPath("ansible-playbook")
	if err != nil {
		t.Log("ansible-playbook not installed; compared with the golden file only")
		return "", false
	}
	workdir := t.TempDir()
	cmd := exec.Command(bin, "-i", "inventory.ini", filepath.Base(pb), "-e", "workdir="+workdir)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ANSIBLE_NOCOLOR=1", "ANSIBLE_LOCAL_TEMP="+t.TempDir(), "ANSIBLE_RETRY_FILES_ENABLED=0")
	out, _ := cmd.Output()
	return normalizeOutput(string(out), dir, workdir), true
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
