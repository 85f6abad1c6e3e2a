package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
)

func TestVersion(t *testing.T) {
	code, stdout, stderr := ferry(t, "--version")
	if code != 0 || !strings.HasPrefix(stdout, "ferry ") || !strings.Contains(stdout, "go1.") || !strings.Contains(stdout, "commit ") {
		t.Errorf("exit %d: %q %s", code, stdout, stderr)
	}
	// ansible-playbook --version: ferry run --version says the same.
	if code, run, _ := ferry(t, "run", "--version"); code != 0 || run != stdout {
		t.Errorf("ferry run --version: exit %d %q, want %q", code, run, stdout)
	}
}

// ansible-playbook's other spellings of a flag work from habit.
func TestAnsibleFlagSpellings(t *testing.T) {
	pb, inv := site(t, "- hosts: web1\n  gather_facts: false\n  tasks:\n    - command: 'true'\n")
	dir := t.TempDir()
	pw := dir + "/pw"
	if err := os.WriteFile(pw, []byte("pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := ferry(t, "run", pb, "--inventory-file", inv, "--vault-pass-file", pw, "--key-file", pw, "--no-journal")
	if code != 0 || !strings.Contains(stdout, "web1") {
		t.Errorf("exit %d\n%s%s", code, stdout, stderr)
	}
}

// -h prints the command's help on every subcommand and does nothing else:
// `ferry init -h` once created a directory named -h.
func TestHelpOnEverySubcommand(t *testing.T) {
	t.Chdir(t.TempDir())
	root := newRoot(nil, nil)
	for _, c := range root.Commands() {
		name := c.Name()
		if name == "help" {
			continue
		}
		code, stdout, stderr := ferry(t, name, "-h")
		if code != 0 || !strings.Contains(stdout, "Usage:") || !strings.Contains(stdout, "ferry "+name) {
			t.Errorf("ferry %s -h: exit %d\n%s%s", name, code, stdout, stderr)
		}
	}
	if _, err := os.Stat("-h"); err == nil {
		t.Error("a command took -h as an argument and created ./-h")
	}
}

// -v -v is -vv: task paths show from verbosity 2.
func TestRepeatedVerboseFlagsCount(t *testing.T) {
	pb, inv := site(t, "- hosts: web1\n  gather_facts: false\n  tasks:\n    - command: 'true'\n")
	for _, args := range [][]string{{"-v", "-v"}, {"-vv"}, {"--verbose", "--verbose"}} {
		code, stdout, stderr := ferry(t, append([]string{"run", pb, "-i", inv}, args...)...)
		if code != 0 || !strings.Contains(stdout, "task path: "+pb) {
			t.Errorf("%v: exit %d, no task path (verbosity 2):\n%s%s", args, code, stdout, stderr)
		}
	}
	_, stdout, _ := ferry(t, "run", pb, "-i", inv, "-v")
	if strings.Contains(stdout, "task path:") {
		t.Error("-v alone shows task paths")
	}
}

func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		code, stdout, stderr := ferry(t, "completion", shell)
		if code != 0 || !strings.Contains(stdout, "__complete") {
			t.Errorf("completion %s: exit %d %s", shell, code, stderr)
		}
	}
}

// The completion scripts call `ferry __complete ARGS...`; these are the
// dynamic answers: module names, inventory host and group names.
func TestCompletionOffersModulesHostsAndGroups(t *testing.T) {
	_, inv := site(t, "")
	_, stdout, _ := ferry(t, "__complete", "doc", "")
	for _, want := range []string{"copy\n", "kurl\n", "wait_for\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("doc completion lacks %q:\n%s", want, stdout)
		}
	}
	_, stdout, _ = ferry(t, "__complete", "run", "-i", inv, "-l", "")
	for _, want := range []string{"web\n", "web1\n", "web3\n", "all\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("--limit completion lacks %q:\n%s", want, stdout)
		}
	}
	_, stdout, _ = ferry(t, "__complete", "inventory", "-i", inv, "--host", "")
	if !strings.Contains(stdout, "web2\n") || strings.Contains(stdout, "web\n") {
		t.Errorf("--host completion should offer hosts only:\n%s", stdout)
	}
	_, stdout, _ = ferry(t, "__complete", "run", "")
	if !strings.Contains(stdout, "yml") {
		t.Errorf("playbook completion is not YAML files:\n%s", stdout)
	}
}

// docs/cli.md names every flag of ansible-playbook --help, with ferry's
// equivalent or why there is none.
func TestCLIDocMapsEveryAnsiblePlaybookFlag(t *testing.T) {
	code, help, _, ran := ansiblecmp.Playbook(t, "", []string{"--help"})
	if !ran {
		t.Skip("ansible-playbook is not installed")
	}
	if code != 0 {
		t.Fatalf("ansible-playbook --help: exit %d", code)
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "cli.md"))
	must(t, err)
	// An option line: "  -i INVENTORY, --inventory INVENTORY, --inventory-file INVENTORY   help".
	var flags [][]string
	for _, line := range regexp.MustCompile(`(?m)^  +(-\S.*?)(?:  |$)`).FindAllStringSubmatch(help, -1) {
		flags = append(flags, regexp.MustCompile(`(?:^|, )(--?[a-zA-Z][a-z-]*)`).FindAllStringSubmatch(line[1], -1)...)
	}
	if len(flags) < 40 {
		t.Fatalf("found only %d flags in ansible-playbook --help", len(flags))
	}
	for _, f := range flags {
		if !strings.Contains(string(doc), "`"+f[1]+"`") {
			t.Errorf("docs/cli.md does not name ansible-playbook's %s", f[1])
		}
	}
}
