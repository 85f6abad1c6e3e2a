// Package ansiblecmp runs one playbook through ferry and through
// ansible-playbook against the same real hosts (internal/sshtest) and hands
// back what each did: exit code, recap counts and every task's result, so
// that a module's test can compare registered values field by field.
//
// ansible-playbook is run with ansible-core's own interpreter on both ends
// (the first python3 on the PATH may lack ansible) and with a json stdout
// callback of ours (callback/ferry_results.py). A missing ansible-playbook skips the comparison, except under CI
// (the CI variable set), where it fails: CI must never skip silently.
package ansiblecmp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/internal/sshtest"
	_ "github.com/ferry-sh/ferry/modules/all" // ferry runs every module
	"github.com/ferry-sh/ferry/runner"
)

// Run is one playbook against named hosts of a test sshd.
type Run struct {
	Playbook string
	// Hosts maps inventory names to the index of their sshd address; every
	// host is in the group "targets".
	Hosts    map[string]int
	Server   *sshtest.Server
	HostVars map[string]map[string]any // more inventory variables per host
	// Inventory, when set, is the inventory file to use instead of Hosts
	// and Server (a throw-away root's, internal/rootfs).
	Inventory string
	ExtraVars map[string]string
	Check     bool
	Diff      bool
	// Setup prepares each tool's fresh work directory (the playbook's
	// workdir variable) before it runs; nil leaves it empty.
	Setup func(t testing.TB, workdir string)
}

// Stats are one host's recap counts.
type Stats struct{ OK, Changed, Unreachable, Failed, Skipped, Rescued, Ignored int }

// Task is one task's result on one host, in the order the run printed them.
type Task struct {
	Name   string
	Host   string
	Result map[string]any
}

// Outcome is what one tool did with a Run.
type Outcome struct {
	Exit   int
	Stats  map[string]Stats
	Tasks  []Task
	Output string // the raw output, for failure messages
	// Workdir is the work directory this run had; SameFields reads it as
	// "$workdir" so that paths in results compare equal.
	Workdir string
}

// Both runs r through ferry and then ansible-playbook, each with its own
// work directory; ran is false when ansible-playbook is not installed.
func Both(t testing.TB, r Run) (ferry, ansible Outcome, ran bool) {
	t.Helper()
	ferry = Ferry(t, r)
	ansible, ran = Ansible(t, r)
	return ferry, ansible, ran
}

// workdir makes the run's work directory and passes it as workdir.
func (r Run) workdir(t testing.TB) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	if r.Setup != nil {
		r.Setup(t, dir)
	}
	return dir, append(r.extraVars(), "workdir="+dir)
}

// Result returns the result of the task called name on host, or fails the test.
func (o Outcome) Result(t testing.TB, name, host string) map[string]any {
	t.Helper()
	for _, tk := range o.Tasks {
		if tk.Name == name && tk.Host == host {
			return tk.Result
		}
	}
	t.Fatalf("no result of task %q on %s in:\n%s", name, host, clip(o.Output))
	return nil
}

// inventory writes the INI inventory both tools read. ansible_ssh_common_args
// gives ansible's ssh the test known_hosts file (ferry reads
// ansible_ssh_known_hosts_file); host key checking stays on for both.
func (r Run) inventory(t testing.TB) string {
	t.Helper()
	if r.Inventory != "" {
		return r.Inventory
	}
	var b strings.Builder
	b.WriteString("[targets]\n")
	for _, name := range slices.Sorted(maps.Keys(r.Hosts)) {
		vars := r.Server.Vars(r.Hosts[name])
		maps.Copy(vars, r.HostVars[name])
		vars["ansible_python_interpreter"] = "/usr/bin/python3"
		vars["ansible_ssh_common_args"] = fmt.Sprintf("'-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes'", r.Server.KnownHosts)
		b.WriteString(name)
		for _, k := range slices.Sorted(maps.Keys(vars)) {
			fmt.Fprintf(&b, " %s=%v", k, vars[k])
		}
		b.WriteString("\n")
	}
	path := filepath.Join(t.TempDir(), "hosts.ini")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func (r Run) extraVars() []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(r.ExtraVars)) {
		out = append(out, k+"="+r.ExtraVars[k])
	}
	return out
}

// Ferry runs the playbook through ferry's runner with JSON events.
func Ferry(t testing.TB, r Run) Outcome {
	t.Helper()
	var stdout, stderr bytes.Buffer
	dir, extra := r.workdir(t)
	s := &runner.Session{Playbook: r.Playbook, Inventories: []string{r.inventory(t)}, ExtraVars: extra,
		Stdout: &stdout, Stderr: &stderr, Output: "json"}
	s.Check, s.Diff = r.Check, r.Diff
	code := s.Run(context.Background())
	out := Outcome{Exit: code, Stats: map[string]Stats{}, Output: stdout.String() + stderr.String(), Workdir: dir}
	dec := json.NewDecoder(&stdout)
	for {
		var e runner.Event
		if err := dec.Decode(&e); err != nil {
			break
		}
		switch e.Type {
		case runner.EventHostResult:
			out.Tasks = append(out.Tasks, Task{Name: e.Task, Host: e.Host, Result: e.Result})
		case runner.EventRecap:
			for _, st := range e.Stats {
				out.Stats[st.Host] = Stats{st.OK, st.Changed, st.Unreachable, st.Failed, st.Skipped, st.Rescued, st.Ignored}
			}
		}
	}
	return out
}

// callbackDir is the directory of the ferry_results callback plugin, beside
// this file.
func callbackDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "callback")
}

// Playbook runs ansible-playbook with args from dir ("" for here), by
// ansible-core's own interpreter, with a throw-away local temporary
// directory, no retry files and no colour; env adds to the environment.
// ran is false when ansible-playbook is not installed (outside CI: under
// CI the test fails, as a comparison must never be skipped there).
func Playbook(t testing.TB, dir string, args []string, env ...string) (code int, stdout, stderr string, ran bool) {
	t.Helper()
	bin, err := exec.LookPath("ansible-playbook")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("ansible-playbook is not installed (CI must run the comparison; make deps installs it): %v", err)
		}
		t.Log("ansible-playbook not installed: compared with nothing")
		return 0, "", "", false
	}
	cmd := exec.Command("/usr/bin/python3", append([]string{bin}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ANSIBLE_NOCOLOR=1", "ANSIBLE_LOCAL_TEMP="+t.TempDir(), "ANSIBLE_RETRY_FILES_ENABLED=0")
	cmd.Env = append(cmd.Env, env...)
	cmd.Env = append(cmd.Env, pollConfig(t, dir, cmd.Env)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("ansible-playbook: %v", err)
	}
	return code, out.String(), errOut.String(), true
}

// Ansible runs the playbook through ansible-playbook with our json callback;
// ran is false when it is not installed (outside CI).
func Ansible(t testing.TB, r Run) (out Outcome, ran bool) {
	t.Helper()
	args := []string{"-i", r.inventory(t), r.Playbook}
	dir, extra := r.workdir(t)
	out.Workdir = dir
	for _, e := range extra {
		args = append(args, "-e", e)
	}
	if r.Check {
		args = append(args, "--check")
	}
	if r.Diff {
		args = append(args, "--diff")
	}
	code, stdout, stderr, ran := Playbook(t, "", args, "ANSIBLE_STDOUT_CALLBACK=ferry_results", "ANSIBLE_COLLECTIONS_PATH="+CollectionsPath(),
		"ANSIBLE_CALLBACK_PLUGINS="+callbackDir(), "ANSIBLE_REMOTE_TEMP="+filepath.Join(t.TempDir(), "remote"), "ANSIBLE_HOST_KEY_CHECKING=1")
	if !ran {
		return Outcome{}, false
	}
	out.Exit = code
	out.Output = stdout + stderr
	var doc struct {
		Plays []struct {
			Tasks []struct {
				Task  struct{ Name string }
				Hosts map[string]map[string]any
			}
		}
		Stats map[string]struct {
			OK          int `json:"ok"`
			Changed     int `json:"changed"`
			Unreachable int `json:"unreachable"`
			Failures    int `json:"failures"`
			Skipped     int `json:"skipped"`
			Rescued     int `json:"rescued"`
			Ignored     int `json:"ignored"`
		}
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		if out.Exit == 4 && strings.TrimSpace(stdout) == "" {
			// A parser error (an included file's unknown module) stops the
			// run before the callback prints anything: no recap, exit 4.
			return out, true
		}
		t.Fatalf("ansible-playbook's json output: %v\n%s", err, out.Output)
	}
	for _, p := range doc.Plays {
		for _, tk := range p.Tasks {
			for _, h := range slices.Sorted(maps.Keys(tk.Hosts)) {
				out.Tasks = append(out.Tasks, Task{Name: tk.Task.Name, Host: h, Result: tk.Hosts[h]})
			}
		}
	}
	out.Stats = map[string]Stats{}
	for h, s := range doc.Stats {
		out.Stats[h] = Stats{s.OK, s.Changed, s.Unreachable, s.Failures, s.Skipped, s.Rescued, s.Ignored}
	}
	return out, true
}

// haveAnsible reports whether ansible-playbook is installed.
func haveAnsible() bool {
	_, err := exec.LookPath("ansible-playbook")
	return err == nil
}

// SameRecap fails the test when the two outcomes' exit codes or recaps differ.
func SameRecap(t testing.TB, ferry, ansible Outcome) {
	t.Helper()
	if ferry.Exit != ansible.Exit {
		t.Errorf("ferry exited %d, ansible-playbook %d\nferry:\n%s\nansible:\n%s", ferry.Exit, ansible.Exit, clip(ferry.Output), clip(ansible.Output))
	}
	if !maps.Equal(ferry.Stats, ansible.Stats) {
		t.Errorf("recap differs:\nferry:   %+v\nansible: %+v\nferry output:\n%s\nansible output:\n%s", ferry.Stats, ansible.Stats, clip(ferry.Output), clip(ansible.Output))
	}
}

// SameFields fails the test when the task's result on host differs between
// the two outcomes in one of fields (a dotted path such as "json.name").
func SameFields(t testing.TB, ferry, ansible Outcome, task, host string, fields ...string) {
	t.Helper()
	f, a := ferry.Result(t, task, host), ansible.Result(t, task, host)
	for _, field := range fields {
		fv, fok := notFailed(field)(Field(f, field))
		av, aok := notFailed(field)(Field(a, field))
		fs, as := show(fv, ferry.Workdir), show(av, ansible.Workdir)
		if fok != aok || fs != as {
			t.Errorf("task %q on %s: %s is %s (present %v) in ferry, %s (present %v) in ansible", task, host, field, fs, fok, as, aok)
		}
	}
}

// notFailed reads the field failed: false as no failed at all: ferry's
// runner registers it, ansible-playbook's callback results lack it.
func notFailed(field string) func(any, bool) (any, bool) {
	return func(v any, ok bool) (any, bool) {
		if field == "failed" && v == false {
			return nil, false
		}
		return v, ok
	}
}

// Field returns the value at a dotted path in a result.
func Field(m map[string]any, path string) (any, bool) {
	var cur any = m
	for _, part := range strings.Split(path, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = mm[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// show prints v as JSON, so that ferry's ints and ansible's float64s are the
// same number, with the run's work directory as "$workdir".
func show(v any, workdir string) string {
	var round any
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	_ = json.Unmarshal(data, &round)
	data, _ = json.Marshal(round)
	if workdir == "" {
		return string(data)
	}
	return strings.ReplaceAll(string(data), workdir, "$workdir")
}

// clip keeps failure messages readable: gathered facts alone are pages.
func clip(s string) string {
	const max = 6000
	if len(s) <= max {
		return s
	}
	return s[:max/2] + "\n[...]\n" + s[len(s)-max/2:]
}

// plumbing is what Ansible adds to every result, which is no module's doing.
var plumbing = []string{"invocation", "warnings", "deprecations", "_ansible_no_log", "exception"}

// AllFields fails the test when a field that ansible-playbook registered
// for a task differs in ferry's result, or ferry registers one Ansible does
// not; Ansible's plumbing and the fields in skip are left out (apt-get's
// own output, timestamps...); "field@task" leaves a field out of one task
// only. failed: false is not compared either way: a result ferry's runner
// makes without running the module (a check-mode skip) has no failed, and
// the results ansible-playbook hands its callback (and so the recordings)
// have none where the runner registers one.
func AllFields(t testing.TB, ferry, ansible Outcome, skip ...string) {
	t.Helper()
	left := map[string]bool{}
	for _, k := range append(skip, plumbing...) {
		left[k] = true
	}
	for _, task := range ansible.Tasks {
		skipped := func(k string) bool { return left[k] || left[k+"@"+task.Name] }
		var fields []string
		for _, k := range slices.Sorted(maps.Keys(task.Result)) {
			if !skipped(k) && !(k == "failed" && task.Result[k] == false) {
				fields = append(fields, k)
			}
		}
		SameFields(t, ferry, ansible, task.Name, task.Host, fields...)
		for k, v := range ferry.Result(t, task.Name, task.Host) {
			if _, ok := task.Result[k]; !ok && !skipped(k) && !(k == "failed" && v == false) {
				t.Errorf("task %q on %s: ferry registers %s=%s, ansible-playbook does not", task.Name, task.Host, k, show(v, ""))
			}
		}
	}
}

// Converge is a playbook run with --check, then twice for real (the second
// run shows idempotency), by ferry against one host and by ansible-playbook
// against another that starts the same (two throw-away roots).
type Converge struct {
	Playbook     string
	Ours, Theirs string // the two hosts' inventories
	Diff         bool
	Skip         []string // result fields not compared (see AllFields)
	// State describes the effects on one host (ours or theirs): it must be
	// the same on both after every run, and unchanged by --check.
	State func(ours bool) string
	// Collections are the Ansible collections the playbook needs
	// ("ansible.posix"). With them, ansible-playbook's rounds are run live
	// and recorded in Golden where the collections are installed, and read
	// back from Golden where they are not (see recorded.go).
	Collections []string
	Golden      string // default: GoldenFor(Playbook)
	// RealUnderCheck says the playbook has tasks with check_mode: false,
	// which change the host in the --check round as well (the effects must
	// still be the same on both hosts).
	RealUnderCheck bool
}

// StateOf is a Converge.State that describes ours or theirs with describe.
func StateOf[H any](ours, theirs H, describe func(H) string) func(bool) string {
	return func(o bool) string {
		if o {
			return describe(ours)
		}
		return describe(theirs)
	}
}

// Run runs the three rounds and compares recaps, registered fields and
// effects after each, stopping at the first round that differs.
func (c Converge) Run(t *testing.T) {
	t.Helper()
	if len(c.Collections) > 0 {
		c.runRecorded(t)
		return
	}
	before := c.State(true)
	for i, check := range []bool{true, false, false} {
		f := Ferry(t, Run{Playbook: c.Playbook, Inventory: c.Ours, Check: check, Diff: c.Diff})
		a, ran := Ansible(t, Run{Playbook: c.Playbook, Inventory: c.Theirs, Check: check, Diff: c.Diff})
		if !ran {
			return
		}
		c.compareRound(t, i, check, before, f, a, c.State(false))
	}
}

// runRecorded is Run for a playbook that needs collections: the three
// rounds of ansible-playbook (live and recorded, or as recorded), then
// ferry's compared with them.
func (c Converge) runRecorded(t *testing.T) {
	t.Helper()
	rounds := c.reference(t)
	before := c.State(true)
	for i, check := range []bool{true, false, false} {
		f := Ferry(t, Run{Playbook: c.Playbook, Inventory: c.Ours, Check: check, Diff: c.Diff})
		a, state := rounds.round(t, i, check, c.Diff)
		c.compareRound(t, i, check, before, f, a, state)
	}
}

// compareRound compares one round's recaps, registered fields and effects
// (theirs: Ansible's), stopping the test when they differ.
func (c Converge) compareRound(t *testing.T, i int, check bool, before string, f, a Outcome, theirs string) {
	t.Helper()
	SameRecap(t, f, a)
	AllFields(t, f, a, c.Skip...)
	// State is described once a round: describing can be costly (apt-key
	// runs gpg per keyring, pip starts per virtualenv).
	ours := c.State(true)
	if ours != theirs {
		t.Errorf("round %d (check %v): effects differ\nferry:\n%s\nansible-playbook:\n%s", i+1, check, ours, theirs)
	}
	if check && !c.RealUnderCheck && ours != before {
		t.Errorf("--check changed the host:\n%s\nbefore:\n%s", ours, before)
	}
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("round %d (check %v): %+v", i+1, check, f.Stats)
}
