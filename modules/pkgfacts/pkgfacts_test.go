package pkgfacts_test

import (
	"path/filepath"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/rootfs"
)

// TestPackageFactsAgainstAnsible runs testdata/package_facts.yml with
// --check, then twice for real, with ferry and ansible-playbook on a fresh
// root each, with two packages in the root's rpm database: recaps and every
// registered result (apt's packages with their version, arch, category and
// origin; rpm's with release and epoch or None; a failure) must agree.
func TestPackageFactsAgainstAnsible(t *testing.T) {
	ours, theirs := rootfs.Start(t), rootfs.Start(t)
	for _, h := range []*rootfs.Host{ours, theirs} {
		if got := h.Run(rpmPackages); got != "ferry-demo-1.2-3.noarch\nferry-plain-1.2-3.noarch\n" {
			t.Fatalf("the root's rpm database: %q", got)
		}
	}
	playbook, _ := filepath.Abs("testdata/package_facts.yml")
	none := func(bool) string { return "" }
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t), State: none,
		Skip: []string{"_ansible_verbose_always"}}.Run(t)
}

// TestPackageFactsAutoPrefersInstalledPackages: ansible-core's auto tries
// the managers in the order of a Python set of classes, which changes from
// run to run; where rpm's library is installed beside apt with an empty
// rpm database (the root), it returns rpm's nothing or apt's packages at
// random. ferry takes the first manager, apt then rpm, that lists packages.
func TestPackageFactsAutoPrefersInstalledPackages(t *testing.T) {
	h := rootfs.Start(t)
	playbook, _ := filepath.Abs("testdata/auto.yml")
	out := ansiblecmp.Ferry(t, ansiblecmp.Run{Playbook: playbook, Inventory: h.Inventory(t)})
	if len(out.Tasks) != 1 {
		t.Fatalf("want the auto task's result, got %+v\n%s", out.Tasks, out.Output)
	}
	dpkg, _ := ansiblecmp.Field(out.Tasks[0].Result, "ansible_facts.packages.dpkg")
	list, _ := dpkg.([]any)
	if len(list) != 1 || list[0].(map[string]any)["source"] != "apt" {
		t.Errorf("auto: dpkg is %v, want apt's entry\n%s", dpkg, out.Output)
	}
}

// rpmPackages builds two empty noarch packages, one with an epoch, and
// records them in the root's rpm database (--nodeps: nothing they need).
const rpmPackages = `mkdir -p /tmp/rb/SPECS
spec() { printf 'Name: %s\nVersion: 1.2\nRelease: 3\n%bSummary: demo\nLicense: MIT\nBuildArch: noarch\n%%description\ndemo\n%%files\n' "$1" "$2" > /tmp/rb/SPECS/$1.spec; }
spec ferry-demo 'Epoch: 2\n'
spec ferry-plain ''
for s in /tmp/rb/SPECS/*.spec; do rpmbuild --quiet --define '_topdir /tmp/rb' -bb "$s" >/dev/null 2>&1; done
rpm -i --nodeps /tmp/rb/RPMS/noarch/*.rpm 2>/dev/null
rpm -qa | sort`
