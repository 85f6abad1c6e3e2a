package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestCompareLanguage runs each case of runner/testdata/lang (a directory
// with site.yml, and roles/, task files, vars files beside it) through ferry
// and checks its recap, exit code and effects against ansible-playbook's on
// the same input: the effects are the messages the tasks print (sorted, as
// hosts finish in any order) and the files they write under workdir. The
// expected values are in each case's golden file, made from ansible-playbook
// (FERRY_UPDATE_GOLDEN=1 writes them); when ansible-playbook is installed it
// is run too, so that a golden file that no longer matches it is caught.
func TestCompareLanguage(t *testing.T) {
	root := filepath.Join("..", "..", "runner", "testdata", "lang")
	inv, _ := filepath.Abs(filepath.Join("..", "..", "runner", "testdata", "compare", "inventory.ini"))
	cases, _ := filepath.Glob(filepath.Join(root, "*", "site.yml"))
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	for _, pb := range cases {
		dir := filepath.Dir(pb)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			args := caseArgs(t, dir)
			goldenPath := filepath.Join(dir, "golden")
			if os.Getenv("FERRY_UPDATE_GOLDEN") != "" {
				live, ok := ansibleOutcome(t, dir, inv, args)
				if !ok {
					t.Fatal("ansible-playbook is needed to write golden files")
				}
				must(t, os.WriteFile(goldenPath, []byte(live), 0o644))
			}
			want, err := os.ReadFile(goldenPath)
			if err != nil {
				t.Fatalf("no golden file: run with FERRY_UPDATE_GOLDEN=1 (%v)", err)
			}
			work := t.TempDir()
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"run", pb, "-i", inv, "-e", "workdir=" + work}, args...), &stdout, &stderr)
			got := outcome(code, stdout.String(), work)
			if got != string(want) {
				t.Errorf("ferry differs from ansible-playbook\nferry:\n%s\nansible-playbook:\n%s\nferry's output:\n%s%s", got, want, stdout.String(), stderr.String())
			}
			if live, ok := ansibleOutcome(t, dir, inv, args); ok && live != string(want) {
				t.Errorf("golden file %s no longer matches ansible-playbook:\n%s", goldenPath, live)
			}
		})
	}
}

// caseArgs are the extra command-line arguments of a case (file args).
func caseArgs(t *testing.T, dir string) []string {
	data, err := os.ReadFile(filepath.Join(dir, "args"))
	if os.IsNotExist(err) {
		return nil
	}
	must(t, err)
	return strings.Fields(string(data))
}

func ansibleOutcome(t *testing.T, dir, inv string, args []string) (string, bool) {
	bin, err := exec.LookPath("ansible-playbook")
	if err != nil {
		t.Log("ansible-playbook not installed; compared with the golden file only")
		return "", false
	}
	work := t.TempDir()
	cmd := exec.Command(bin, append([]string{"-i", inv, "site.yml", "-e", "workdir=" + work}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ANSIBLE_NOCOLOR=1", "ANSIBLE_LOCAL_TEMP="+t.TempDir(), "ANSIBLE_DEPRECATION_WARNINGS=0")
	out, err := cmd.Output()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	return outcome(code, string(out), work), true
}

var msgLine = regexp.MustCompile(`^\s*"msg": (.*)$`)

// outcome is what the comparison looks at: exit code, recap, the printed
// messages (sorted) and the files written under work.
func outcome(code int, stdout, work string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "exit: %d\n%s\n", code, recapLines(stdout))
	var msgs []string
	for _, l := range strings.Split(stdout, "\n") {
		if m := msgLine.FindStringSubmatch(l); m != nil {
			msgs = append(msgs, "msg: "+strings.ReplaceAll(m[1], work, "WORKDIR"))
		}
	}
	sort.Strings(msgs)
	for _, m := range msgs {
		b.WriteString(m + "\n")
	}
	filepath.WalkDir(work, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, _ := os.ReadFile(path)
		rel, _ := filepath.Rel(work, path)
		fmt.Fprintf(&b, "file: %s %x\n", rel, sha256.Sum256(data))
		return nil
	})
	return b.String()
}
