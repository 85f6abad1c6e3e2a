package filestate_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ferry-sh/ferry/internal/modtest"
)

func TestFileStates(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(dir string)
		args   map[string]any // path is relative to the test dir
		plans  []string       // expected plan-line prefixes, in order
		verify func(t *testing.T, dir string)
	}{
		{
			name:  "directory with parents and mode",
			args:  map[string]any{"path": "a/b", "state": "directory", "mode": "0750"},
			plans: []string{"create directory"},
			verify: func(t *testing.T, dir string) {
				if fi, err := os.Stat(filepath.Join(dir, "a/b")); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o750 {
					t.Errorf("a/b = %v, %v", fi, err)
				}
			},
		},
		{
			name:  "directory mode drift",
			setup: func(dir string) { os.Mkdir(filepath.Join(dir, "d"), 0o700) },
			args:  map[string]any{"path": "d", "state": "directory", "mode": "u=rwx,go=rx"},
			plans: []string{"chmod 0755"},
		},
		{
			name:  "touch creates",
			args:  map[string]any{"path": "t", "state": "touch", "mode": "0600"},
			plans: []string{"create empty file"},
			verify: func(t *testing.T, dir string) {
				if fi, err := os.Stat(filepath.Join(dir, "t")); err != nil || fi.Size() != 0 || fi.Mode().Perm() != 0o600 {
					t.Errorf("t = %v, %v", fi, err)
				}
			},
		},
		{
			name:  "absent removes a tree",
			setup: func(dir string) { os.MkdirAll(filepath.Join(dir, "x/y"), 0o755) },
			args:  map[string]any{"path": "x", "state": "absent"},
			plans: []string{"remove directory"},
			verify: func(t *testing.T, dir string) {
				if _, err := os.Lstat(filepath.Join(dir, "x")); !os.IsNotExist(err) {
					t.Errorf("x still there: %v", err)
				}
			},
		},
		{
			name:  "absent on missing is a no-op",
			args:  map[string]any{"path": "nothing", "state": "absent"},
			plans: nil,
		},
		{
			name:  "symlink",
			setup: func(dir string) { os.WriteFile(filepath.Join(dir, "target"), nil, 0o644) },
			args:  map[string]any{"path": "l", "state": "link", "src": "target"},
			plans: []string{"link"},
			verify: func(t *testing.T, dir string) {
				if got, err := os.Readlink(filepath.Join(dir, "l")); err != nil || got != "target" {
					t.Errorf("readlink = %q, %v", got, err)
				}
			},
		},
		{
			name: "symlink retargeted",
			setup: func(dir string) {
				os.WriteFile(filepath.Join(dir, "new"), nil, 0o644)
				os.Symlink("old", filepath.Join(dir, "l"))
			},
			args:  map[string]any{"path": "l", "state": "link", "src": "new"},
			plans: []string{"link"},
			verify: func(t *testing.T, dir string) {
				if got, _ := os.Readlink(filepath.Join(dir, "l")); got != "new" {
					t.Errorf("readlink = %q", got)
				}
			},
		},
		{
			name: "force replaces an empty directory with a link",
			setup: func(dir string) {
				os.Mkdir(filepath.Join(dir, "l"), 0o755)
			},
			args:  map[string]any{"path": "l", "state": "link", "src": "/nonexistent", "force": true},
			plans: []string{"link"},
			verify: func(t *testing.T, dir string) {
				if got, _ := os.Readlink(filepath.Join(dir, "l")); got != "/nonexistent" {
					t.Errorf("readlink = %q", got)
				}
			},
		},
		{
			name:  "hard link",
			setup: func(dir string) { os.WriteFile(filepath.Join(dir, "orig"), []byte("x"), 0o644) },
			args:  map[string]any{"path": "h", "state": "hard", "src": "ORIG"},
			plans: []string{"hard link"},
			verify: func(t *testing.T, dir string) {
				a, _ := os.Stat(filepath.Join(dir, "orig"))
				b, err := os.Stat(filepath.Join(dir, "h"))
				if err != nil || !os.SameFile(a, b) {
					t.Errorf("h is not a hard link of orig: %v", err)
				}
			},
		},
		{
			name:  "new tree with recurse and owner",
			args:  map[string]any{"path": "n/m", "state": "directory", "recurse": true, "mode": "0700", "owner": "0", "group": "0"},
			plans: []string{"create directory"},
		},
		{
			name: "recursive mode",
			setup: func(dir string) {
				os.MkdirAll(filepath.Join(dir, "r/s"), 0o700)
				os.WriteFile(filepath.Join(dir, "r/s/f"), nil, 0o600)
			},
			args:  map[string]any{"path": "r", "state": "directory", "recurse": true, "mode": "u=rwX,g=rX,o="},
			plans: []string{"chmod -R u=rwX,g=rX,o="},
			verify: func(t *testing.T, dir string) {
				if m := fileModeOf(filepath.Join(dir, "r/s")); m != 0o750 {
					t.Errorf("r/s mode %o", m)
				}
				if m := fileModeOf(filepath.Join(dir, "r/s/f")); m != 0o640 {
					t.Errorf("r/s/f mode %o", m)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, chown := tt.args["owner"]; chown && os.Geteuid() != 0 {
				t.Skip("changing owners needs root")
			}
			dir := t.TempDir()
			if tt.setup != nil {
				tt.setup(dir)
			}
			args := map[string]any{}
			for k, v := range tt.args {
				args[k] = v
			}
			args["path"] = filepath.Join(dir, tt.args["path"].(string))
			if src, ok := args["src"].(string); ok && src == "ORIG" {
				args["src"] = filepath.Join(dir, "orig")
			}

			// Check mode plans the same lines and changes nothing.
			before := snapshot(t, dir)
			h := modtest.NewHost(t)
			h.Check = true
			_, planned := modtest.MustRun(t, h, "file", args)
			if after := snapshot(t, dir); after != before {
				t.Errorf("check mode changed the tree:\n%s\n->\n%s", before, after)
			}
			assertPlans(t, "check", planned, tt.plans)

			_, changes := modtest.MustRun(t, modtest.NewHost(t), "file", args)
			assertPlans(t, "run", changes, tt.plans)
			if tt.verify != nil {
				tt.verify(t, dir)
			}
			if tt.args["state"] == "touch" {
				return // touch always changes, as in Ansible
			}
			if _, again := modtest.MustRun(t, modtest.NewHost(t), "file", args); len(again) != 0 {
				t.Errorf("second run changed: %q", again)
			}
		})
	}
}

func assertPlans(t *testing.T, when string, got, wantPrefixes []string) {
	t.Helper()
	if len(got) != len(wantPrefixes) {
		t.Errorf("%s: plans %q, want prefixes %q", when, got, wantPrefixes)
		return
	}
	for i, p := range wantPrefixes {
		if !strings.HasPrefix(got[i], p) {
			t.Errorf("%s: plan %q, want prefix %q", when, got[i], p)
		}
	}
}

func fileModeOf(p string) os.FileMode {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Mode().Perm()
}

// snapshot lists a tree's paths, kinds and modes.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil {
			b.WriteString(p + " " + fi.Mode().String() + "\n")
		}
		return nil
	})
	return b.String()
}

func TestFileFailures(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "f"), nil, 0o644)
	os.MkdirAll(filepath.Join(dir, "full/x"), 0o755)
	tests := []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"path": filepath.Join(dir, "missing")}, "is absent, cannot continue"},
		{map[string]any{"path": filepath.Join(dir, "full"), "state": "file"}, "is directory, cannot continue"},
		{map[string]any{"path": filepath.Join(dir, "f"), "state": "directory"}, "already exists as a file"},
		{map[string]any{"path": filepath.Join(dir, "l"), "state": "link", "src": "nope"}, "src file does not exist"},
		{map[string]any{"path": filepath.Join(dir, "f"), "state": "link", "src": "/"}, "refusing to convert from file to link"},
		{map[string]any{"path": filepath.Join(dir, "full"), "state": "link", "src": "/", "force": true}, "is not empty"},
		{map[string]any{"path": filepath.Join(dir, "l"), "state": "link"}, "src is required"},
	}
	for _, tt := range tests {
		h := modtest.NewHost(t)
		res, _, err := modtest.Run(t, h, "file", tt.args)
		if err != nil || !res.Failed || !strings.Contains(res.Msg, tt.want) {
			t.Errorf("%v: res %+v err %v, want failure %q", tt.args, res, err, tt.want)
		}
		if len(h.Changes()) != 0 {
			t.Errorf("%v: a failure changed %q", tt.args, h.Changes())
		}
	}
}

func TestFileOwnerRecursive(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("changing owners needs root")
	}
	dir := filepath.Join(t.TempDir(), "tree")
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "sub", "f"), nil, 0o644)
	args := map[string]any{"path": dir, "state": "directory", "recurse": true, "owner": "nobody", "group": "65534"}
	_, changes := modtest.MustRun(t, modtest.NewHost(t), "file", args)
	assertPlans(t, "run", changes, []string{"chown -R nobody:65534 "})
	st, _ := os.Stat(filepath.Join(dir, "sub", "f"))
	if st.Sys().(*syscall.Stat_t).Uid != 65534 || st.Sys().(*syscall.Stat_t).Gid != 65534 {
		t.Errorf("owner not applied below the top directory")
	}
	if _, again := modtest.MustRun(t, modtest.NewHost(t), "file", args); len(again) != 0 {
		t.Errorf("second run changed: %q", again)
	}
}

func TestFileDefaultStateKeepsKind(t *testing.T) {
	dir := t.TempDir()
	res, changes := modtest.MustRun(t, modtest.NewHost(t), "file", map[string]any{"path": dir, "mode": "0700"})
	if res.Data["state"] != "directory" || len(changes) != 1 || fileModeOf(dir) != 0o700 {
		t.Errorf("state %v, changes %q, mode %o", res.Data["state"], changes, fileModeOf(dir))
	}
}

// chown clears setuid and setgid bits, so a new file's owner must be set
// before its mode: file (state touch) and copy keep a 04755 asked for
// together with an owner.
func TestSetuidModeSurvivesOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("giving a file to root needs root")
	}
	dir := t.TempDir()
	touched, copied := filepath.Join(dir, "touched"), filepath.Join(dir, "copied")
	modtest.MustRun(t, modtest.NewHost(t), "file", map[string]any{"path": touched, "state": "touch", "mode": "04755", "owner": "root"})
	modtest.MustRun(t, modtest.NewHost(t), "copy", map[string]any{"content": "#!/bin/sh\n", "dest": copied, "mode": "04755", "owner": "root"})
	for _, p := range []string{touched, copied} {
		if fi, err := os.Stat(p); err != nil || fi.Mode()&os.ModeSetuid == 0 || fi.Mode().Perm() != 0o755 {
			t.Errorf("%s: mode %v (%v), want setuid and 0755", filepath.Base(p), fi.Mode(), err)
		}
	}
}
