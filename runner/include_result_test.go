package runner_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
)

// TestCompareIncludeResults: the result of an include_tasks that was
// skipped, and of one that included its file, carry the same fields in
// ferry's JSON events as in ansible-playbook's callback (the corpus reads
// a result without skipped: true as ok).
func TestCompareIncludeResults(t *testing.T) {
	playbook, _ := filepath.Abs(filepath.Join("testdata", "include-results", "site.yml"))
	inv := filepath.Join(t.TempDir(), "hosts.ini")
	if err := os.WriteFile(inv, []byte("local ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, a, ran := ansiblecmp.Both(t, ansiblecmp.Run{Playbook: playbook, Inventory: inv})
	if !ran {
		return
	}
	ansiblecmp.SameRecap(t, f, a)
	ansiblecmp.SameFields(t, f, a, "skipped include", "local", "skipped", "changed")
	ansiblecmp.SameFields(t, f, a, "ok include", "local", "skipped", "changed", "include")
}
