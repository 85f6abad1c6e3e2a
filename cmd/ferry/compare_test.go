package main

import (
	"bufio"
	"bytes"
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
// ansible-playbook is installed, it is run too, so a golden file that no
// longer matches Ansible is caught.
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
			args := append([]string{"run", filepath.Join(dir, want.playbook), "-i", filepath.Join(dir, "inventory.ini"),
				"-e", "workdir=" + t.TempDir()}, want.args...)
			var stdout, stderr bytes.Buffer
			code := run(args, &stdout, &stderr)
			if code != want.exit {
				t.Errorf("exit %d, ansible-playbook exited %d\n%s%s", code, want.exit, stdout.String(), stderr.String())
			}
			if got := recapLines(stdout.String()); got != want.recap {
				t.Errorf("recap differs from ansible-playbook's\nferry:\n%s\nansible:\n%s\nfull output:\n%s", got, want.recap, stdout.String())
			}
			if live := liveAnsible(t, dir, want); live != "" && live != want.recap {
				t.Errorf("golden file %s no longer matches ansible-playbook:\n%s", g, live)
			}
		})
	}
}

type golden struct {
	playbook string
	args     []string
	exit     int
	recap    string
}

func readGolden(t *testing.T, path string) golden {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var g golden
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

func liveAnsible(t *testing.T, dir string, g golden) string {
	bin, err := exec.LookPath("ansible-playbook")
	if err != nil {
		t.Log("ansible-playbook not installed; compared with the golden file only")
		return ""
	}
	args := append([]string{"-i", "inventory.ini", g.playbook, "-e", "workdir=" + t.TempDir()}, g.args...)
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ANSIBLE_NOCOLOR=1", "ANSIBLE_LOCAL_TEMP="+t.TempDir())
	out, _ := cmd.CombinedOutput()
	return recapLines(string(out))
}
