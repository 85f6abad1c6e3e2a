package rpmkey_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/rootfs"
)

// keyRoot is a root with testdata/test-key.asc in /root.
func keyRoot(t *testing.T) *rootfs.Host {
	h := rootfs.Start(t)
	key, err := os.ReadFile("testdata/test-key.asc")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(h.Path("/root/test-key.asc"), key, 0o644); err != nil {
		t.Fatal(err)
	}
	return h
}

// rpmKeys lists the keys in the root's rpm database.
func rpmKeys(h *rootfs.Host) string {
	return h.Run("rpm -q gpg-pubkey 2>&1; true")
}

// TestRPMKeyAgainstAnsible runs testdata/rpm_key.yml with --check, then
// twice for real, with ferry and ansible-playbook on a fresh root each:
// recaps, every registered field (the failures' messages too) and the keys
// rpm holds must agree.
func TestRPMKeyAgainstAnsible(t *testing.T) {
	ours, theirs := keyRoot(t), keyRoot(t)
	playbook, _ := filepath.Abs("testdata/rpm_key.yml")
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t),
		State: ansiblecmp.StateOf(ours, theirs, rpmKeys)}.Run(t)
}
