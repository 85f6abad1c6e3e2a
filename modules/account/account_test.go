package account_test

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/rootfs"
)

// accounts is what the root's databases say of the test accounts.
func accounts(h *rootfs.Host) string {
	return h.Run(`for u in alice bob carol ferrysvc; do getent passwd $u || echo "no $u"; s=$(getent shadow $u | cut -d: -f1-2); echo "${s:-no shadow $u}"; id -Gn $u 2>/dev/null; done
for g in ferryops ferrysys ferrygone; do getent group $g || echo "no $g"; done
ls -d /home/* 2>/dev/null; true`)
}

// TestUserGroupAgainstAnsible runs testdata/account.yml with --check, then
// twice for real, with ferry and with ansible-playbook on a fresh root each:
// recaps, the accounts on disk and every registered field must agree.
func TestUserGroupAgainstAnsible(t *testing.T) {
	ours, theirs := rootfs.Start(t), rootfs.Start(t)
	playbook, _ := filepath.Abs("testdata/account.yml")
	before := accounts(ours)
	for i, check := range []bool{true, false, false} {
		f := ansiblecmp.Ferry(t, ansiblecmp.Run{Playbook: playbook, Inventory: ours.Inventory(t), Check: check})
		a, ran := ansiblecmp.Ansible(t, ansiblecmp.Run{Playbook: playbook, Inventory: theirs.Inventory(t), Check: check})
		if !ran {
			return
		}
		ansiblecmp.SameRecap(t, f, a)
		sameResults(t, f, a)
		if got, want := accounts(ours), accounts(theirs); got != want {
			t.Errorf("run %d: accounts differ\nferry:\n%s\nansible:\n%s", i+1, got, want)
		}
		if check && accounts(ours) != before {
			t.Errorf("check mode changed accounts:\n%s", accounts(ours))
		}
		if t.Failed() {
			t.FailNow()
		}
		t.Logf("run %d (check %v): %+v", i+1, check, f.Stats)
	}
	if got := accounts(ours); !strings.Contains(got, "alice:!$6$saltsalt$") || !strings.Contains(got, "alice:x:2001:2001:A. Ferry:/home/alice:/bin/sh") {
		t.Errorf("alice is not as the playbook made her:\n%s", got)
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
