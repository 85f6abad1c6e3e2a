package probe_test

import (
	"path/filepath"
	"slices"
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

// TestComparePythonFacts: setup describes the interpreter Ansible runs its
// modules with (ansible_python, ansible_python_version; geerlingguy.pip
// reads them) as 2.14 does in the root, in the subsets and filters that
// choose it, as registered results and as variables.
func TestComparePythonFacts(t *testing.T) {
	h := rootfs.Start(t)
	playbook, _ := filepath.Abs(filepath.Join("testdata", "compare", "setup_python.yml"))
	f, a, ran := ansiblecmp.Both(t, ansiblecmp.Run{Playbook: playbook, Inventory: h.Inventory(t)})
	if !ran {
		return
	}
	ansiblecmp.SameRecap(t, f, a)
	for _, task := range []string{"all", "python subset", "min", "filter"} {
		ansiblecmp.SameFields(t, f, a, task, "target", "ansible_facts.ansible_python", "ansible_facts.ansible_python_version")
	}
	ours := factNames(t, f, "all", "target")
	for _, task := range []string{"python subset", "no python", "filter"} {
		got, want := factNames(t, f, task, "target"), factNames(t, a, task, "target")
		want = slices.DeleteFunc(want, func(n string) bool { return !slices.Contains(ours, n) })
		if !slices.Equal(got, want) {
			t.Errorf("%s: ferry returns %v\nansible-playbook (of the facts ferry gathers) %v", task, got, want)
		}
	}
	if !slices.Contains(ours, "ansible_python") {
		t.Errorf("setup gathered no ansible_python: %v", ours)
	}
	ansiblecmp.SameFields(t, f, a, "as a variable", "target", "ansible_python")
	ansiblecmp.SameFields(t, f, a, "read as roles do", "target", "msg")
}
