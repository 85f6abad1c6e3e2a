package filestate

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestCreateScriptIsExclusive: the file module creates a path only where
// nothing is, so a link planted between its check and its write fails the
// task instead of being followed.
func TestCreateScriptIsExclusive(t *testing.T) {
	for _, kind := range []string{"file", "directory"} {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			victim, p := filepath.Join(dir, "victim"), filepath.Join(dir, "new")
			os.Mkdir(victim, 0o700)
			os.Symlink(victim, p)
			if err := exec.Command("/bin/sh", "-c", createScript(p, kind, 0o777, "")).Run(); err == nil {
				t.Error("created over a planted link")
			}
			if fi, _ := os.Stat(victim); fi.Mode().Perm() != 0o700 {
				t.Errorf("the link's target is now %v", fi.Mode())
			}
			if left, _ := filepath.Glob(filepath.Join(dir, ".ferry-tmp.*")); len(left) != 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
}
