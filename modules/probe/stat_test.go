package probe_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ferry-sh/ferry/internal/modtest"
)

func TestStat(t *testing.T) {
	h := modtest.NewHost(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, []byte("hello"), 0o640); err != nil {
		t.Fatal(err)
	}
	res, changes := modtest.MustRun(t, h, "stat", map[string]any{"path": file, "checksum_algorithm": "sha256"})
	st := res.Data["stat"].(map[string]any)
	if len(changes) != 0 || st["exists"] != true || st["size"] != int64(5) || st["isreg"] != true || st["mode"] != "0640" ||
		st["checksum"] != "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" {
		t.Errorf("stat = %v, changes %v", st, changes)
	}
	res, _ = modtest.MustRun(t, h, "stat", map[string]any{"path": dir})
	if st := res.Data["stat"].(map[string]any); st["isdir"] != true {
		t.Errorf("dir stat = %v", st)
	}
	res, _ = modtest.MustRun(t, h, "stat", map[string]any{"path": filepath.Join(dir, "missing")})
	if st := res.Data["stat"].(map[string]any); st["exists"] != false || len(st) != 1 {
		t.Errorf("missing stat = %v", st)
	}
}
