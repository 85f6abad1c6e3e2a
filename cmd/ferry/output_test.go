package main

import (
	"bufio"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/creack/pty"
)

// The end of a --check run says, per host, what would change or that
// nothing would.
func TestCheckPlanSummary(t *testing.T) {
	pb, inv := site(t, "- hosts: web\n  gather_facts: false\n  tasks:\n    - copy: {dest: DIR/conf, content: x}\n      when: inventory_hostname == 'web1'\n")
	code, stdout, stderr := ferry(t, "run", pb, "-i", inv, "--check")
	if code != 0 {
		t.Fatalf("exit %d %s", code, stderr)
	}
	_, plan, ok := strings.Cut(stdout, "PLAN (--check: nothing was changed) ***")
	if !ok {
		t.Fatalf("no plan summary:\n%s", stdout)
	}
	dest := filepath.Join(filepath.Dir(pb), "conf")
	for _, want := range []string{"web1: 1 change\n    [copy] would write " + dest, "web2: nothing would change", "web3: nothing would change"} {
		if !strings.Contains(plan, want) {
			t.Errorf("plan lacks %q:\n%s", want, plan)
		}
	}
	if _, err := os.Stat(dest); err == nil {
		t.Error("--check wrote the file")
	}
	if _, stdout, _ = ferry(t, "run", pb, "-i", inv); strings.Contains(stdout, "PLAN (") {
		t.Error("a real run printed the check plan")
	}
}

// Without --secrets, the Dash Enterprise playbook names the secrets it
// lacks, where (the embedded file, not a cache path), and how to give them:
// never as a password on the command line.
func TestMissingSecretsSayHowToPassThem(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	code, _, stderr := ferry(t, "run", "--check", "--no-journal", "-i", filepath.Join("..", "..", "playbooks", "examples", "site"))
	if code != 4 {
		t.Fatalf("exit %d, want 4\n%s", code, stderr)
	}
	for _, want := range []string{"dash-enterprise.yml (embedded):", `undefined variable "dash_admin_password"`,
		`undefined variable "admin_console_password"`, "pass --secrets FILE; never on the command line"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "-e dash_admin_password") || strings.Contains(stderr, "-e admin_console_password") || strings.Contains(stderr, "/ferry/playbooks-") {
		t.Errorf("suggests a password on the command line, or names the cache path:\n%s", stderr)
	}
}

func TestJUnitOutput(t *testing.T) {
	pb, inv := site(t, "- name: p\n  hosts: web\n  gather_facts: false\n  tasks:\n    - name: t\n      command: 'false'\n      when: inventory_hostname == 'web2'\n")
	code, stdout, _ := ferry(t, "run", pb, "-i", inv, "--output", "junit")
	if code != 2 {
		t.Fatalf("exit %d", code)
	}
	var report struct {
		Suites []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Skipped  int    `xml:"skipped,attr"`
			Cases    []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Body string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(stdout), &report); err != nil {
		t.Fatalf("not XML: %v\n%s", err, stdout)
	}
	if len(report.Suites) != 1 || report.Suites[0].Tests != 3 || report.Suites[0].Failures != 1 || report.Suites[0].Skipped != 2 {
		t.Fatalf("report: %+v", report)
	}
	for _, c := range report.Suites[0].Cases {
		if (c.Failure != nil) != (c.Name == "[web2] t") || c.Failure != nil && !strings.Contains(c.Failure.Body, `"rc": 1`) {
			t.Errorf("case %s failure %+v", c.Name, c.Failure)
		}
	}
}

// --diff prints @@ hunks with context, coloured as Ansible's when colour is on.
func TestDiffHunksColoured(t *testing.T) {
	pb, inv := site(t, "- hosts: web1\n  gather_facts: false\n  tasks:\n    - copy: {dest: DIR/f, content: \"a\\nb\\nC\\nd\\ne\\nf\\ng\\nH\\n\"}\n")
	must(t, os.WriteFile(filepath.Join(filepath.Dir(pb), "f"), []byte("a\nb\nc\nd\ne\nf\ng\nh\n"), 0o644))
	_, plain, _ := ferry(t, "run", pb, "-i", inv, "--check", "--diff")
	if !strings.Contains(plain, "@@ -1,8 +1,8 @@\n a\n b\n-c\n+C\n d\n") {
		t.Errorf("no unified hunk:\n%s", plain)
	}
	t.Setenv("ANSIBLE_FORCE_COLOR", "1")
	_, colour, _ := ferry(t, "run", pb, "-i", inv, "--check", "--diff")
	for _, want := range []string{"\x1b[36m@@ -1,8 +1,8 @@", "\x1b[31m-c", "\x1b[32m+C"} {
		if !strings.Contains(colour, want) {
			t.Errorf("coloured diff lacks %q:\n%q", want, colour)
		}
	}
}

// On a terminal, header lines are as wide as it, as Ansible's are.
func TestHeaderWidthFollowsTheTerminal(t *testing.T) {
	pb, inv := site(t, "- hosts: web1\n  gather_facts: false\n  tasks:\n    - command: 'true'\n")
	bin := buildFerry(t)
	for _, cols := range []uint16{80, 132} {
		cmd := exec.Command(bin, "run", pb, "-i", inv, "--no-journal")
		cmd.Env = append(os.Environ(), "NO_COLOR=1")
		tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: cols})
		must(t, err)
		var recap string
		sc := bufio.NewScanner(tty)
		for sc.Scan() {
			if line := strings.TrimRight(sc.Text(), "\r"); strings.HasPrefix(line, "PLAY RECAP") {
				recap = line
			}
		}
		_ = cmd.Wait()
		tty.Close()
		if len(recap) != int(cols) {
			t.Errorf("%d columns: header is %d wide: %q", cols, len(recap), recap)
		}
	}
}
