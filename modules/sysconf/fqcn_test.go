package sysconf

import (
	"testing"

	"github.com/ferry-sh/ferry/modules"
)

// TestCollectionNames: a task may name these modules by their collection's
// full name, as roles written for ansible-core 2.10+ do
// (devsec.hardening's os_hardening: ansible.posix.mount, ansible.posix.sysctl).
func TestCollectionNames(t *testing.T) {
	for full, short := range map[string]string{
		"ansible.posix.mount": "mount", "ansible.posix.sysctl": "sysctl", "ansible.posix.selinux": "selinux",
		"community.general.modprobe": "modprobe", "community.general.timezone": "timezone",
	} {
		if got := modules.Canonical(full); got != short {
			t.Errorf("Canonical(%q) = %q, want %q", full, got, short)
		}
	}
	if got := modules.Canonical("community.general.mount"); got != "community.general.mount" {
		t.Errorf("another collection's name resolved: %q", got)
	}
}
