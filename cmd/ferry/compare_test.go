package main

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestCompareWithAnsible runs the playbooks of runner/testdata/compare with
// ferry and checks the recap and exit code against what ansible-playbook 2.14
// printed for the same playbook and inventory (the .golden files). When
// ansible-playbook is installed, it is run too, so a golden file whose recap
// or exit code no longer matches Ansible is caught.
func TestCompareWithAnsible(t *testing.T) {
	dir := filepath.Join("..", "..", "runner", "testdata", "compare")
	goldens, _ := filepath.Glob(filepath.Join(dir, "*.golden"))
	if len(goldens) == 0 {
		t.Fatal("no golden files")
	}
	for _, g := range goldens {
		g := g
		t.Run(strings.TrimSuffix(filepath.Base(g), ".golden"), func(t *testing.T) {
			t.Parallel()
			want := readGolden(t, g)
			args := append([]string{"run", filepath.Join(dir, want.playbook), "-i", filepath.Join(dir, want.inventory),
				"-e", "workdir=" + t.TempDir()}, want.args...)
			var stdout, stderr bytes.Buffer
			code := run(args, &stdout, &stderr)
			if code != want.exit {
				t.Errorf("exit %d, ansible-playbook exited %d\n%s%s", code, want.exit, stdout.String(), stderr.String())
			}
			if got := recapLines(stdout.String()); got != want.recap {
				t.Errorf("recap differs from ansible-playbook's\nferry:\n%s\nansible:\n%s\nfull output:\n%s", got, want.recap, stdout.String())
			}
			if live, liveExit, ran := liveAnsible(t, dir, want); ran && (live != want.recap || liveExit != want.exit) {
				t.Errorf("golden file %s no longer matches ansible-playbook: exit %d\n%s", g, liveExit, live)
			}
		})
	}
}

type golden struct {
	playbook  string
	inventory string // inventory.ini unless the golden file names another
	args      []string
	exit      int
	recap     string
}

func readGolden(t *testing.T, path string) golden {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g := golden{inventory: "inventory.ini"}
	var recap []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "args:"):
			g.args = strings.Fields(strings.TrimPrefix(line, "args:"))
		case strings.HasPrefix(line, "playbook:"):
			g.playbook = strings.TrimSpace(strings.TrimPrefix(line, "playbook:"))
		case strings.HasPrefix(line, "inventory:"):
			g.inventory = strings.TrimSpace(strings.TrimPrefix(line, "inventory:"))
		case strings.HasPrefix(line, "exit:"):
			g.exit, _ = strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "exit:")))
		default:
			recap = append(recap, line)
		}
	}
	g.recap = strings.Join(recap, "\n")
	return g
}

var recapLine = regexp.MustCompile(`^\S+\s+: ok=`)

func recapLines(out string) string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if recapLine.MatchString(l) {
			lines = append(lines, strings.TrimRight(l, " "))
		}
	}
	return strings.Join(lines, "\n")
}

// liveAnsible runs ansible-playbook on the golden file's input and returns
// its recap lines and exit code; ran is false when it is not installed.
func liveAnsible(t *testing.T, dir string, g golden) (recap string, exit int, ran bool) {
	bin, err := exec.LookPath("ansible-playbook")
	if err != nil {
		t.Log("ansible-playbook not installed; compared with the golden file only")
		return "", 0, false
	}
	args := append([]string{"-i", g.inventory, g.playbook, "-e", "workdir=" + t.TempDir()}, g.args...)
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ANSIBLE_NOCOLOR=1", "ANSIBLE_LOCAL_TEMP="+t.TempDir())
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		exit = exitErr.ExitCode()
	}
	return recapLines(string(out)), exit, true
}
