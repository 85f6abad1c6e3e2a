package sysconf_test

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/rootfs"
)

// compare runs playbook with --check, then twice for real, with ferry and
// ansible-playbook on a fresh root each: recaps, effects (what state prints
// in the root) and every registered field must agree.
func compare(t *testing.T, playbook string, state func(*rootfs.Host) string) {
	t.Helper()
	ours, theirs := rootfs.Start(t), rootfs.Start(t)
	playbook, _ = filepath.Abs(playbook)
	before := state(ours)
	for i, check := range []bool{true, false, false} {
		f := ansiblecmp.Ferry(t, ansiblecmp.Run{Playbook: playbook, Inventory: ours.Inventory(t), Check: check, Diff: true})
		a, ran := ansiblecmp.Ansible(t, ansiblecmp.Run{Playbook: playbook, Inventory: theirs.Inventory(t), Check: check, Diff: true})
		if !ran {
			return
		}
		ansiblecmp.SameRecap(t, f, a)
		sameResults(t, f, a)
		if got, want := state(ours), state(theirs); got != want {
			t.Errorf("run %d: effects differ\nferry:\n%s\nansible:\n%s", i+1, got, want)
		}
		if check && state(ours) != before {
			t.Errorf("check mode changed the root:\n%s", state(ours))
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
	skip := map[string]bool{"invocation": true, "warnings": true, "deprecations": true, "_ansible_no_log": true, "exception": true, "diff": true}
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

func TestHostnameAgainstAnsible(t *testing.T) {
	compare(t, "testdata/hostname.yml", func(h *rootfs.Host) string {
		return h.Run("cat /etc/hostname; hostname")
	})
}

func TestCronAgainstAnsible(t *testing.T) {
	compare(t, "testdata/cron.yml", func(h *rootfs.Host) string {
		return h.Run("crontab -l 2>&1; crontab -u nobody -l 2>&1; cd /etc/cron.d && for f in ferry-*; do echo \"== $f\"; stat -c %a $f; cat $f; done; true")
	})
}
