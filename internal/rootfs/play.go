package rootfs

import (
	"os"
	"path/filepath"
	"testing"
)

// Inventory writes an INI inventory with the root as host "target" in group
// "targets", for ferry and ansible-playbook alike (internal/ansiblecmp's
// Run.Inventory).
func (h *Host) Inventory(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hosts.ini")
	if err := os.WriteFile(path, []byte("[targets]\n"+h.InventoryLine("target")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
