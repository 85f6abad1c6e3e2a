package service_test

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/rootfs"
)

const demoUnit = "[Unit]\nDescription=ferry test unit\n[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n"

func unitRoot(t *testing.T) *rootfs.Host {
	h := rootfs.Start(t)
	for _, name := range []string{"ferry-demo.service", "ferry-masked.service"} {
		if err := os.WriteFile(h.Path("/etc/systemd/system/"+name), []byte(demoUnit), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// links lists the unit links systemctl made.
func links(h *rootfs.Host) string {
	return h.Run("cd /etc/systemd/system && find . -name '*.service' -printf '%p -> %l\\n' | sort")
}

// TestSystemdAgainstAnsible runs testdata/systemd.yml with --check, then
// twice for real, with ferry and ansible-playbook on a fresh root each:
// recaps, the unit links on disk and every registered field must agree.
func TestSystemdAgainstAnsible(t *testing.T) {
	ours, theirs := unitRoot(t), unitRoot(t)
	playbook, _ := filepath.Abs("testdata/systemd.yml")
	before := links(ours)
	for i, check := range []bool{true, false, false} {
		f := ansiblecmp.Ferry(t, ansiblecmp.Run{Playbook: playbook, Inventory: ours.Inventory(t), Check: check})
		a, ran := ansiblecmp.Ansible(t, ansiblecmp.Run{Playbook: playbook, Inventory: theirs.Inventory(t), Check: check})
		if !ran {
			return
		}
		ansiblecmp.SameRecap(t, f, a)
		sameResults(t, f, a)
		if got, want := links(ours), links(theirs); got != want {
			t.Errorf("run %d: unit links differ\nferry:\n%s\nansible:\n%s", i+1, got, want)
		}
		if check && links(ours) != before {
			t.Errorf("check mode changed links:\n%s", links(ours))
		}
		if t.Failed() {
			t.FailNow()
		}
		t.Logf("run %d (check %v): %+v", i+1, check, f.Stats)
	}
}

// sameResults compares every task's registered fields but Ansible's
// plumbing.
func sameResults(t *testing.T, f, a ansiblecmp.Outcome) {
	t.Helper()
	skip := map[string]bool{"invocation": true, "warnings": true, "deprecations": true, "_ansible_no_log": true, "exception": true}
	for _, task := range a.Tasks {
		var fields []string
		for _, k := range slices.Sorted(maps.Keys(task.Result)) {
			if !skip[k] && !(k == "failed" && task.Result[k] == false) { // ferry's runner registers no failed: false
				fields = append(fields, k)
			}
		}
		ansiblecmp.SameFields(t, f, a, task.Name, task.Host, fields...)
		for k, v := range f.Result(t, task.Name, task.Host) {
			if _, ok := task.Result[k]; !ok && !skip[k] {
				t.Errorf("task %q: ferry registers %s=%v, ansible does not", task.Name, k, fmt.Sprint(v))
			}
		}
	}
}

// TestServiceNeedsSystemd: in a root whose PID 1 is no systemd, service
// fails before changing anything, naming what to use instead (Ansible would
// drive the init scripts, which ferry does not).
func TestServiceNeedsSystemd(t *testing.T) {
	h := unitRoot(t)
	before := links(h)
	playbook := filepath.Join(t.TempDir(), "service.yml")
	if err := os.WriteFile(playbook, []byte("- hosts: targets\n  gather_facts: false\n  tasks:\n    - service: {name: cron, enabled: false}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := ansiblecmp.Ferry(t, ansiblecmp.Run{Playbook: playbook, Inventory: h.Inventory(t)})
	if f.Exit != 2 || !strings.Contains(f.Output, "runs only on hosts booted with systemd; this one's service manager is sleep") {
		t.Fatalf("exit %d\n%s", f.Exit, f.Output)
	}
	if links(h) != before {
		t.Fatal("service changed the unit links")
	}
}
