package runner

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// lowStoreLimits lowers the stored-value limits for one test, so that a
// bomb is caught in milliseconds; the real limits are measured the same way.
func lowStoreLimits(t *testing.T) {
	items, bytes := maxStoredItems, maxStoredBytes
	maxStoredItems, maxStoredBytes = 10_000, 1_000_000
	t.Cleanup(func() { maxStoredItems, maxStoredBytes = items, bytes })
}

// TestDoublingSetFactStopsWithAMessage: set_fact x: [x, x] shares x, so 40
// tasks make a value of 2^40 leaves that every walk (output, masking) would
// expand. The task past the limit fails with a message; the run ends.
func TestDoublingSetFactStopsWithAMessage(t *testing.T) {
	lowStoreLimits(t)
	var tasks strings.Builder
	for i := 0; i < 40; i++ {
		tasks.WriteString("    - set_fact:\n        x: \"{{ [x, x] }}\"\n")
	}
	pb := "- hosts: web1\n  gather_facts: false\n  vars:\n    x: [1]\n  tasks:\n" + tasks.String() + "    - debug: {msg: \"{{ x | to_json | length }}\"}\n"
	r := runPlaybook(t, pb, localInventory, nil)
	if r.code != ExitFailed {
		t.Errorf("exit %d, want 2", r.code)
	}
	r.mustContain(t, "on web1: argument x is a value of more than 10000 items or 1.0 MB, ferry's limit")
}

// TestAliasBombInAVarsFileStopsWithAMessage: a vars file whose aliases make
// 10^5 strings of 100 KB (10 GB once expanded) is refused when a task uses
// it, directly (msg) or through debug var.
func TestAliasBombInAVarsFileStopsWithAMessage(t *testing.T) {
	lowStoreLimits(t)
	var bomb strings.Builder
	bomb.WriteString("a0: &a0 \"" + strings.Repeat("x", 100_000) + "\"\n")
	for i := 1; i <= 5; i++ {
		fmt.Fprintf(&bomb, "a%d: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d,", i-1), 10), ","))
	}
	for _, task := range []string{`debug: {msg: "{{ a5 }}"}`, "debug: {var: a5}", `set_fact: {b: "{{ a5 }}"}`} {
		pb := "- hosts: web1\n  gather_facts: false\n  vars_files: [bomb.yml]\n  tasks:\n    - " + task + "\n"
		r := runPlaybook(t, pb, localInventory, func(s *Session) {
			writeFile(t, filepath.Join(filepath.Dir(s.Playbook), "bomb.yml"), bomb.String())
		})
		if r.code != ExitFailed {
			t.Errorf("%s: exit %d, want 2", task, r.code)
		}
		r.mustContain(t, "is a value of more than 10000 items or 1.0 MB, ferry's limit")
	}
}

// TestRecursiveSetFactSaysWhatIsWrong: a fact whose value renders back to
// itself is a recursion named as such, never an internal error.
func TestRecursiveSetFactSaysWhatIsWrong(t *testing.T) {
	pb := `
- hosts: web1
  gather_facts: false
  tasks:
    - set_fact:
        b: "{{ '{{' }} b }}"
    - debug: {msg: "{{ b }}"}
`
	r := runPlaybook(t, pb, localInventory, nil)
	r.mustContain(t, `site.yml:7:7) on web1: argument msg: recursive loop in variable \"b\": b -> b`)
	if strings.Contains(r.stdout+r.stderr, "internal error") {
		t.Errorf("an internal error reached the user:\n%s", r.stdout)
	}
}
