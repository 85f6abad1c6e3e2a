package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestCompareWithAnsible runs the playbooks of runner/testdata/compare with
// ferry and checks the recap and exit code against what ansible-playbook 2.14
// printed for the same playbook and inventory (the .golden files, written
// by hand in their own format). ansible-playbook is run too, so a golden
// file whose recap or exit code no longer matches Ansible is caught.
func TestCompareWithAnsible(t *testing.T) {
	dir := filepath.Join("..", "..", "runner", "testdata", "compare")
	goldens, _ := filepath.Glob(filepath.Join(dir, "*.golden"))
	if len(goldens) == 0 {
		t.Fatal("no golden files")
	}
	for _, g := range goldens {
		t.Run(strings.TrimSuffix(filepath.Base(g), ".golden"), func(t *testing.T) {
			t.Parallel()
			want := readGolden(t, g)
			c := comparison{dir: dir, playbook: want.playbook, inventory: want.inventory, args: want.args}
			code, stdout, stderr, _ := c.ferry(t)
			if code != want.exit {
				t.Errorf("exit %d, ansible-playbook exited %d\n%s%s", code, want.exit, stdout, stderr)
			}
			if got := recapLines(stdout); got != want.recap {
				t.Errorf("recap differs from ansible-playbook's\nferry:\n%s\nansible:\n%s\nfull output:\n%s", got, want.recap, stdout)
			}
			if liveExit, live, _, ran := c.ansible(t); ran && (recapLines(live) != want.recap || liveExit != want.exit) {
				t.Errorf("golden file %s no longer matches ansible-playbook: exit %d\n%s", g, liveExit, recapLines(live))
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
