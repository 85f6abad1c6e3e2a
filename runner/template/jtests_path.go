package template

import (
	"os"
	"path/filepath"
	"syscall"
)

// pathTests are Ansible's file tests (`path is file`...), which look at the
// controller's file system, as Ansible's do.
func pathTests() map[string]testSpec {
	stat := func(follow bool, ok func(os.FileInfo) bool) testFunc {
		return func(v any, a *fargs) (bool, error) {
			st, err := os.Lstat(pyStr(v))
			if follow {
				st, err = os.Stat(pyStr(v))
			}
			return err == nil && ok(st), a.expect(0)
		}
	}
	always := func(os.FileInfo) bool { return true }
	return map[string]testSpec{
		"directory":   {fn: stat(true, os.FileInfo.IsDir)},
		"file":        {fn: stat(true, func(st os.FileInfo) bool { return st.Mode().IsRegular() })},
		"link":        {fn: stat(false, func(st os.FileInfo) bool { return st.Mode()&os.ModeSymlink != 0 })},
		"exists":      {fn: stat(true, always)},
		"link_exists": {fn: stat(false, always)},
		"abs":         {fn: func(v any, a *fargs) (bool, error) { return filepath.IsAbs(pyStr(v)), a.expect(0) }},
		"same_file":   {fn: sameFile},
		"mount":       {fn: func(v any, a *fargs) (bool, error) { return isMount(pyStr(v)), a.expect(0) }},
	}
}

// pathTestAliases are the is_ names Ansible gives the same tests.
var pathTestAliases = map[string]string{
	"is_dir": "directory", "is_file": "file", "is_link": "link", "is_abs": "abs",
	"is_same_file": "same_file", "is_mount": "mount",
}

func sameFile(v any, a *fargs) (bool, error) {
	if err := a.expect(1, "f2"); err != nil {
		return false, err
	}
	st1, err1 := os.Stat(pyStr(v))
	st2, err2 := os.Stat(pyStr(a.or(0, "f2", nil)))
	if err1 != nil {
		return false, err1
	}
	if err2 != nil {
		return false, err2
	}
	return os.SameFile(st1, st2), nil
}

// isMount is Python's os.path.ismount: a directory on another device than
// its parent, or the same inode as its parent (the root).
func isMount(p string) bool {
	st, err := os.Lstat(p)
	if err != nil || st.Mode()&os.ModeSymlink != 0 || !st.IsDir() {
		return false
	}
	parent, err := os.Lstat(filepath.Join(p, ".."))
	if err != nil {
		return false
	}
	s1, ok1 := st.Sys().(*syscall.Stat_t)
	s2, ok2 := parent.Sys().(*syscall.Stat_t)
	return ok1 && ok2 && (s1.Dev != s2.Dev || s1.Ino == s2.Ino)
}
