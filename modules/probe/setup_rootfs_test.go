package probe_test

import (
	"path/filepath"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/rootfs"
)

// TestComparePkgMgrWithSeveral gathers facts with ferry's setup and
// Ansible's on a throw-away Debian root that has dnf and rpm installed
// beside apt (internal/rootfs): Ansible's pkg_mgr is the family's own, apt,
// which package: tasks then use.
func TestComparePkgMgrWithSeveral(t *testing.T) {
	h := rootfs.Start(t)
	if _, err := h.Try("command -v dnf && command -v apt-get"); err != nil {
		t.Fatalf("the root should have dnf and apt-get: %v", err)
	}
	playbook, _ := filepath.Abs(filepath.Join("testdata", "compare", "setup.yml"))
	f, a, ran := ansiblecmp.Both(t, ansiblecmp.Run{Playbook: playbook, Inventory: h.Inventory(t)})
	if !ran {
		return
	}
	ansiblecmp.SameRecap(t, f, a)
	ansiblecmp.SameFields(t, f, a, "gather", "target", "ansible_facts.ansible_pkg_mgr", "ansible_facts.ansible_os_family",
		"ansible_facts.ansible_distribution")
	ansiblecmp.SameFields(t, f, a, "facts as variables", "target", "msg")
}
