package corpus

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
)

// roles are the mirrored public roles, each applied by its README's example
// (playbooks/ROLE-readme.yml, the README's hosts made `all`) and by its
// molecule converge, unchanged.
var roles = []string{"docker", "mysql", "nginx", "postgresql", "apache", "java", "ntp", "redis", "haproxy", "php", "postfix", "git",
	"firewall", "security", "memcached", "pip"}

// TestRoles applies each role with both tools, each to its own fresh root:
// --check, then twice for real. The roots have no network, so apt fails
// where a package must come from the internet: in both tools alike, which
// is still a comparison of everything up to there.
func TestRoles(t *testing.T) {
	enabled(t)
	for _, role := range roles {
		compareRole(t, geerlingguy(role))
	}
}

// roleCase is a mirrored role and the playbooks that apply it: its README's
// example (playbooks/LABEL-readme.yml, when there is one) and the
// playbooks of its repository that its tests converge with.
type roleCase struct {
	label string // the rows' name
	repo  string // the mirror (owner+name)
	// name is the role's directory under roles/, the name its playbooks
	// give it; "" when the repository is a collection.
	name string
	// collection ("devsec/hardening"): the repository is laid out in
	// collections/ansible_collections/ beside the playbook, which both
	// tools search.
	collection string
	// deps are other mirrored roles the playbooks name ("geerlingguy.java",
	// from the tests' requirements.yml), laid out beside it.
	deps []string
	// converges are playbooks in the repository, by kind ("converge":
	// "molecule/default/converge.yml"). Copied beside roles/ unless
	// inPlace: run where they are (Oefenweb's name the role "../../../").
	converges map[string]string
	inPlace   bool
}

func geerlingguy(role string, deps ...string) roleCase {
	return roleCase{label: role, repo: "geerlingguy+ansible-role-" + role, name: "geerlingguy." + role, deps: deps,
		converges: map[string]string{"converge": "molecule/default/converge.yml"}}
}

// compareRole runs each of the case's playbooks as a subtest.
func compareRole(t *testing.T, c roleCase) {
	kinds := slices.Sorted(maps.Keys(c.converges))
	if _, err := os.Stat(filepath.Join("playbooks", c.label+"-readme.yml")); err == nil {
		kinds = append([]string{"readme"}, kinds...)
	}
	for _, kind := range kinds {
		t.Run(c.label+"-"+kind, func(t *testing.T) { compareRoleRun(t, c, kind) })
	}
}

// compareRoleRun lays out the role (and its deps) beside the playbook and
// runs the three rounds.
func compareRoleRun(t *testing.T, c roleCase, kind string) {
	dir := t.TempDir()
	roleDir := filepath.Join(dir, "roles", c.name)
	if c.collection != "" {
		roleDir = filepath.Join(dir, "collections", "ansible_collections", c.collection)
	}
	layOut(t, c.repo, roleDir)
	for _, dep := range c.deps {
		owner, role, _ := strings.Cut(dep, ".")
		layOut(t, owner+"+ansible-role-"+role, filepath.Join(dir, "roles", dep))
	}
	label := c.label + "-" + kind
	playbook := filepath.Join(dir, label+".yml")
	switch {
	case kind == "readme":
		copyFile(t, filepath.Join("playbooks", label+".yml"), playbook)
		if _, err := os.Stat(filepath.Join("playbooks", "vars", c.label+".yml")); err == nil {
			copyFile(t, filepath.Join("playbooks", "vars", c.label+".yml"), filepath.Join(dir, "vars", c.label+".yml"))
		}
	case c.inPlace:
		playbook = filepath.Join(roleDir, c.converges[kind])
	default:
		copySiblings(t, filepath.Join(roleDir, c.converges[kind]), dir)
		copyFile(t, filepath.Join(roleDir, c.converges[kind]), playbook)
	}
	if !syntaxBoth(t, label, dir, playbook) || os.Getenv("FERRY_CORPUS_VALIDATE_ONLY") != "" {
		return
	}
	compareRounds(t, "roles", label, playbook)
}

// copySiblings copies the other files of the playbook's directory into
// dir: the task files a converge includes (geerlingguy.jenkins'
// debian-setup.yml).
func copySiblings(t *testing.T, playbook, dir string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(playbook))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Type().IsRegular() && e.Name() != filepath.Base(playbook) {
			copyFile(t, filepath.Join(filepath.Dir(playbook), e.Name()), filepath.Join(dir, e.Name()))
		}
	}
}

func layOut(t *testing.T, repo, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	extract(t, repo, dir)
}

// compareRounds applies the playbook with both tools, each to its own
// fresh root: --check, then twice for real; a row of section per round.
func compareRounds(t *testing.T, section, label, playbook string) {
	ours, theirs := startRoots(t)
	for i, check := range []bool{true, false, false} {
		f := ansiblecmp.Ferry(t, ansiblecmp.Run{Playbook: playbook, Inventory: ours.Inventory(t), Check: check})
		a, _ := ansiblecmp.Ansible(t, ansiblecmp.Run{Playbook: playbook, Inventory: theirs.Inventory(t), Check: check})
		round := fmt.Sprintf("%d real", i)
		if check {
			round = "1 --check"
		}
		diff := difference(f, a)
		same := "yes"
		if diff != "" {
			same = "no"
			t.Errorf("%s round %s: %s\n%s", label, round, diff, sideBySide(f, a))
		}
		row := fmt.Sprintf("| %s | %s | %s | %s | %s | %s |", label, round, recap(f), recap(a), same, diff)
		t.Log(row) // as it comes: a long corpus run shows its rows before it ends
		addRow(section, row)
	}
}

// syntaxBoth is ferry validate and ansible-playbook --syntax-check on the
// playbook; a row records a playbook either refuses, and the rounds run
// only when both accept it.
func syntaxBoth(t *testing.T, label, dir, playbook string) bool {
	bin, err := ferryBin()
	if err != nil {
		t.Fatal(err)
	}
	inv := filepath.Join(dir, "syntax.ini")
	if err := os.WriteFile(inv, []byte("[targets]\ntarget ansible_host=127.0.0.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "validate", "-i", inv, playbook)
	cmd.Dir = dir
	fc, fout := run(cmd)
	ac, aout := run(ansibleCmd(t, dir, "--syntax-check", "-i", inv, playbook))
	if fc == 0 && ac == 0 {
		return true
	}
	t.Errorf("%s: ferry validate exit %d, ansible-playbook --syntax-check exit %d\nferry:\n%s\nansible-playbook:\n%s", label, fc, ac, fout, aout)
	addRow("roles", fmt.Sprintf("| %s | validate | exit %d | exit %d | %s | %s |", label, fc, ac, yesNo(fc == ac), firstLine(strings.ReplaceAll(fout, dir+"/", ""))))
	return false
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// recap is one outcome's exit code and the root's recap counts.
func recap(o ansiblecmp.Outcome) string {
	s := o.Stats["target"]
	return fmt.Sprintf("exit %d: ok=%d changed=%d failed=%d skipped=%d rescued=%d ignored=%d", o.Exit, s.OK, s.Changed, s.Failed, s.Skipped, s.Rescued, s.Ignored)
}

// difference is the first way two outcomes differ: exit code, the tasks'
// statuses in order, or the recap; "" when they agree.
func difference(f, a ansiblecmp.Outcome) string {
	if a.Exit == 4 && len(a.Tasks) == 0 {
		// ansible-playbook's parser stopped the run (an included file's
		// unknown module): its callback reports no task, even those that
		// ran, so only the exit codes compare.
		if f.Exit != a.Exit {
			return fmt.Sprintf("exit %d and %d (ansible-playbook's parser stopped the run)", f.Exit, a.Exit)
		}
		return ""
	}
	fs, as := statuses(f), statuses(a)
	for i := 0; i < len(fs) || i < len(as); i++ {
		switch {
		case i >= len(fs):
			return fmt.Sprintf("ferry stops before task %d `%s`", i+1, as[i])
		case i >= len(as):
			return fmt.Sprintf("ansible-playbook stops before task %d; ferry runs `%s`", i+1, fs[i])
		case fs[i] != as[i]:
			return fmt.Sprintf("task %d: ferry `%s`, ansible-playbook `%s`", i+1, fs[i], as[i])
		}
	}
	if f.Exit != a.Exit {
		return fmt.Sprintf("exit %d and %d", f.Exit, a.Exit)
	}
	if recap(f) != recap(a) {
		return "recap"
	}
	return ""
}

// statuses is each task result's "name: status", the role's name left out
// of the task's (the tools title role tasks differently). An included
// file's ok result is one in both: ansible-playbook's callback gets it
// (v2_runner_on_ok with the include key) as ferry's events have it.
func statuses(o ansiblecmp.Outcome) []string {
	var out []string
	for _, tk := range o.Tasks {
		name := tk.Name
		if _, after, ok := strings.Cut(name, " : "); ok {
			name = after
		}
		out = append(out, strings.ReplaceAll(name, "|", "\\|")+": "+status(tk.Result))
	}
	return out
}

func status(r map[string]any) string {
	switch {
	case r["unreachable"] == true:
		return "unreachable"
	case r["failed"] == true:
		return "failed"
	case r["skipped"] == true:
		return "skipped"
	case r["changed"] == true:
		return "changed"
	}
	return "ok"
}

// sideBySide is both runs' task statuses in two columns, each failure's
// message under it, and the end of the runs' output: what to read when
// they differ.
func sideBySide(f, a ansiblecmp.Outcome) string {
	fs, as := statuses(f), statuses(a)
	var b strings.Builder
	for i := 0; i < len(fs) || i < len(as); i++ {
		l, r := "", ""
		if i < len(fs) {
			l = fs[i]
		}
		if i < len(as) {
			r = as[i]
		}
		mark := " "
		if l != r {
			mark = "≠"
		}
		fmt.Fprintf(&b, "%3d %s %-70.70s | %.70s\n", i+1, mark, l, r)
	}
	for _, o := range []struct {
		tool string
		out  ansiblecmp.Outcome
	}{{"ferry", f}, {"ansible-playbook", a}} {
		for _, tk := range o.out.Tasks {
			if status(tk.Result) == "failed" {
				fmt.Fprintf(&b, "%s: %s failed: %.300v\n", o.tool, tk.Name, tk.Result["msg"])
			}
		}
		if len(o.out.Tasks) == 0 {
			fmt.Fprintf(&b, "%s's output:\n%s\n", o.tool, tail(o.out.Output))
		}
	}
	return b.String()
}

// tail is the end of a run's output, for the log.
func tail(s string) string {
	if len(s) > 3000 {
		return "…" + s[len(s)-3000:]
	}
	return s
}
