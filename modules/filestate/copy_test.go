package filestate_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ferry-sh/ferry/internal/modtest"
	"github.com/ferry-sh/ferry/modules"
)

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func randomBytes(n int, seed int64) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

func TestCopyContentIdempotent(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "app.conf")
	args := map[string]any{"content": "port: 8080\n", "dest": dest, "mode": "0640"}
	res, changes := modtest.MustRun(t, modtest.NewHost(t), "copy", args)
	if len(changes) != 1 || changes[0] != "write "+dest+" (11 B, mode 0640)" {
		t.Fatalf("first run changes = %q", changes)
	}
	if modtest.ReadFile(t, dest) != "port: 8080\n" || modtest.FileMode(t, dest) != 0o640 {
		t.Fatalf("dest = %q mode %o", modtest.ReadFile(t, dest), modtest.FileMode(t, dest))
	}
	if res.Data["checksum"] != sha256Hex([]byte("port: 8080\n")) || res.Data["mode"] != "0640" || res.Data["size"] != int64(11) {
		t.Errorf("data = %v", res.Data)
	}
	if _, err := os.Stat(dest + ".ferry-part"); !os.IsNotExist(err) {
		t.Errorf("part file left behind: %v", err)
	}
	_, changes = modtest.MustRun(t, modtest.NewHost(t), "copy", args)
	if len(changes) != 0 {
		t.Errorf("second run changed: %q", changes)
	}
}

func TestCopySameSizeDifferentContent(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "f")
	os.WriteFile(dest, []byte("aaaa"), 0o644)
	_, changes := modtest.MustRun(t, modtest.NewHost(t), "copy", map[string]any{"content": "bbbb", "dest": dest})
	if len(changes) != 1 || modtest.ReadFile(t, dest) != "bbbb" {
		t.Errorf("changes %q, dest %q", changes, modtest.ReadFile(t, dest))
	}
}

func TestCopyModeDriftAlone(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "f")
	os.WriteFile(dest, []byte("same"), 0o600)
	tests := []struct {
		mode any
		want os.FileMode
		plan string
	}{
		{"0644", 0o644, "chmod 0644 " + dest + " (was 0600)"},
		{"u=rw,g=r,o=", 0o640, "chmod 0640 " + dest + " (was 0644)"},
		{"g+w", 0o660, "chmod 0660 " + dest + " (was 0640)"},
		{0o600, 0o600, "chmod 0600 " + dest + " (was 0660)"},
	}
	for _, tt := range tests {
		_, changes := modtest.MustRun(t, modtest.NewHost(t), "copy", map[string]any{"content": "same", "dest": dest, "mode": tt.mode})
		if len(changes) != 1 || changes[0] != tt.plan || modtest.FileMode(t, dest) != tt.want {
			t.Errorf("mode %v: changes %q, mode %o", tt.mode, changes, modtest.FileMode(t, dest))
		}
	}
}

func TestCopyOwnerDrift(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("changing owners needs root")
	}
	dest := filepath.Join(t.TempDir(), "f")
	os.WriteFile(dest, []byte("x"), 0o644)
	args := map[string]any{"content": "x", "dest": dest, "owner": "nobody", "group": "nogroup"}
	res, changes := modtest.MustRun(t, modtest.NewHost(t), "copy", args)
	if len(changes) != 1 || !strings.HasPrefix(changes[0], "chown nobody:nogroup "+dest) {
		t.Fatalf("changes = %q", changes)
	}
	st, _ := os.Stat(dest)
	if st.Sys().(*syscall.Stat_t).Uid != 65534 || res.Data["owner"] != "nobody" {
		t.Errorf("owner uid %d, data %v", st.Sys().(*syscall.Stat_t).Uid, res.Data["owner"])
	}
	if _, changes = modtest.MustRun(t, modtest.NewHost(t), "copy", args); len(changes) != 0 {
		t.Errorf("second run changed: %q", changes)
	}
	// Replacing the content keeps the owner when none is asked for.
	modtest.MustRun(t, modtest.NewHost(t), "copy", map[string]any{"content": "new", "dest": dest})
	st, _ = os.Stat(dest)
	if st.Sys().(*syscall.Stat_t).Uid != 65534 {
		t.Errorf("owner lost on rewrite: uid %d", st.Sys().(*syscall.Stat_t).Uid)
	}
}

func TestCopyCheckModeChangesNothing(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "f")
	os.WriteFile(dest, []byte("old\n"), 0o600)
	h := modtest.NewHost(t)
	h.Check, h.Diff = true, true
	res, changes := modtest.MustRun(t, h, "copy", map[string]any{"content": "new\n", "dest": dest, "mode": "0644"})
	if len(changes) != 1 || changes[0] != "write "+dest+" (4 B, mode 0644)" {
		t.Errorf("plan = %q", changes)
	}
	if modtest.ReadFile(t, dest) != "old\n" || modtest.FileMode(t, dest) != 0o600 {
		t.Errorf("check mode touched dest")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("check mode left files: %v", entries)
	}
	if len(res.Diffs) != 1 || res.Diffs[0].Before != "old\n" || res.Diffs[0].After != "new\n" || res.Diffs[0].Path != dest {
		t.Errorf("diffs = %+v", res.Diffs)
	}
}

func TestCopyDiffOnlyForSmallText(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		content string
		diff    bool
	}{
		{"text", "hello\n", true},
		{"binary", "a\x00b", false},
		{"large", strings.Repeat("x", 64<<10+1), false},
	}
	for _, tt := range tests {
		h := modtest.NewHost(t)
		h.Diff = true
		res, _ := modtest.MustRun(t, h, "copy", map[string]any{"content": tt.content, "dest": filepath.Join(dir, tt.name)})
		if (len(res.Diffs) == 1) != tt.diff {
			t.Errorf("%s: diffs = %d", tt.name, len(res.Diffs))
		}
		if tt.diff && (res.Diffs[0].Before != "" || res.Diffs[0].After != tt.content) {
			t.Errorf("%s: diff = %+v", tt.name, res.Diffs[0])
		}
	}
}

func TestCopySrcLookup(t *testing.T) {
	base := t.TempDir()
	os.MkdirAll(filepath.Join(base, "files"), 0o755)
	os.WriteFile(filepath.Join(base, "files", "a.txt"), []byte("from files/"), 0o644)
	os.WriteFile(filepath.Join(base, "a.txt"), []byte("from base"), 0o644)
	os.WriteFile(filepath.Join(base, "b.txt"), []byte("only in base"), 0o644)
	destDir := t.TempDir()
	h := modtest.NewHost(t)
	h.BaseDir = base
	for src, want := range map[string]string{"a.txt": "from files/", "b.txt": "only in base"} {
		res, _ := modtest.MustRun(t, h, "copy", map[string]any{"src": src, "dest": destDir + "/"})
		if got := modtest.ReadFile(t, filepath.Join(destDir, src)); got != want || res.Data["dest"] != filepath.Join(destDir, src) {
			t.Errorf("%s: got %q at %v", src, got, res.Data["dest"])
		}
	}
	_, _, err := modtest.Run(t, h, "copy", map[string]any{"src": "missing.bin", "dest": destDir})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(base, "files", "missing.bin")) || !strings.Contains(err.Error(), filepath.Join(base, "missing.bin")) {
		t.Errorf("missing src error = %v", err)
	}
}

func TestCopyErrors(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "src"), []byte("data"), 0o644)
	tests := []struct {
		name string
		args map[string]any
		want string
	}{
		{"missing dest dir", map[string]any{"content": "x", "dest": filepath.Join(dir, "no", "f")}, "destination directory " + filepath.Join(dir, "no") + " does not exist"},
		{"content into dir", map[string]any{"content": "x", "dest": dir}, "is a directory"},
		{"checksum mismatch", map[string]any{"src": filepath.Join(dir, "src"), "dest": filepath.Join(dir, "d"), "checksum": "sha256:" + strings.Repeat("0", 64)}, "checksum says"},
		{"bad checksum", map[string]any{"content": "x", "dest": filepath.Join(dir, "d"), "checksum": "md5:abc"}, "not a sha256"},
		{"decimal mode", map[string]any{"content": "x", "dest": filepath.Join(dir, "d"), "mode": 644}, `quote it: mode: "0644"`},
		{"bad symbolic mode", map[string]any{"content": "x", "dest": filepath.Join(dir, "d"), "mode": "u=rq"}, `'q' is not one of`},
		{"no free space", map[string]any{"content": "x", "dest": filepath.Join(dir, "d"), "min_free_bytes": 1 << 62}, "not enough free space"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := modtest.NewHost(t)
			_, _, err := modtest.Run(t, h, "copy", tt.args)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
			if _, statErr := os.Stat(filepath.Join(dir, "d")); statErr == nil {
				t.Errorf("a failed copy wrote dest")
			}
		})
	}
}

func TestCopyForceNoAndBackup(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "f")
	os.WriteFile(dest, []byte("keep"), 0o644)
	if _, changes := modtest.MustRun(t, modtest.NewHost(t), "copy", map[string]any{"content": "new", "dest": dest, "force": false}); len(changes) != 0 || modtest.ReadFile(t, dest) != "keep" {
		t.Errorf("force=no replaced dest: %q", changes)
	}
	res, _ := modtest.MustRun(t, modtest.NewHost(t), "copy", map[string]any{"content": "new", "dest": dest, "backup": true})
	backup, _ := res.Data["backup_file"].(string)
	if backup == "" || !strings.HasPrefix(backup, dest+".") || modtest.ReadFile(t, backup) != "keep" || modtest.ReadFile(t, dest) != "new" {
		t.Errorf("backup %q, dest %q", backup, modtest.ReadFile(t, dest))
	}
}

// writeSrc puts a random file of n bytes on the "controller".
func writeSrc(t testing.TB, n int, seed int64) (string, []byte) {
	t.Helper()
	data := randomBytes(n, seed)
	src := filepath.Join(t.TempDir(), "bundle.tar")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return src, data
}

func TestCopyResumesPartialTransfer(t *testing.T) {
	src, data := writeSrc(t, 3<<20+17, 1)
	dest := filepath.Join(t.TempDir(), "bundle.tar")
	const kept = 1<<20 + 5
	os.WriteFile(dest+".ferry-part", data[:kept], 0o600)
	res, changes := modtest.MustRun(t, modtest.NewHost(t), "copy", map[string]any{"src": src, "dest": dest})
	if len(changes) != 1 {
		t.Fatalf("changes = %q", changes)
	}
	if got := res.Data["bytes_transferred"]; got != int64(len(data)-kept) {
		t.Errorf("bytes_transferred = %v, want %d", got, len(data)-kept)
	}
	got, _ := os.ReadFile(dest)
	if !bytes.Equal(got, data) || res.Data["checksum"] != sha256Hex(data) {
		t.Errorf("dest differs from src after resume")
	}
}

func TestCopyRestartsCorruptPartial(t *testing.T) {
	src, data := writeSrc(t, 2<<20, 2)
	dest := filepath.Join(t.TempDir(), "bundle.tar")
	corrupt := append([]byte(nil), data[:1<<20]...)
	corrupt[1000] ^= 0xff
	os.WriteFile(dest+".ferry-part", corrupt, 0o600)
	res, _ := modtest.MustRun(t, modtest.NewHost(t), "copy", map[string]any{"src": src, "dest": dest})
	if got := res.Data["bytes_transferred"]; got != int64(len(data)) {
		t.Errorf("bytes_transferred = %v, want the whole file once (the stale part dropped before sending)", got)
	}
	got, _ := os.ReadFile(dest)
	if !bytes.Equal(got, data) {
		t.Errorf("dest differs from src after a corrupt part")
	}
}

// A source rewritten during the upload (same size, new mtime) fails the task:
// the checksum reported comes from its own read of the source and could
// describe other bytes than the ones sent.
func TestCopySourceChangedDuringUpload(t *testing.T) {
	src, _ := writeSrc(t, 20<<20, 5)
	dest := filepath.Join(t.TempDir(), "bundle.tar")
	h := modtest.NewHost(t)
	h.Events = func(e modules.Event) {
		if e.Kind == "progress" && e.Done < e.Total {
			later := time.Now().Add(time.Hour)
			os.Chtimes(src, later, later)
		}
	}
	_, _, err := modtest.Run(t, h, "copy", map[string]any{"src": src, "dest": dest})
	if err == nil || !strings.Contains(err.Error(), "changed while it was copied") {
		t.Fatalf("err = %v, want the changed source named", err)
	}
	if _, err := os.Stat(dest); err == nil {
		t.Error("dest was installed from a source that changed during the upload")
	}
}

func TestCopyNoResume(t *testing.T) {
	src, data := writeSrc(t, 1<<20, 3)
	dest := filepath.Join(t.TempDir(), "bundle.tar")
	os.WriteFile(dest+".ferry-part", data[:1000], 0o600)
	res, _ := modtest.MustRun(t, modtest.NewHost(t), "copy", map[string]any{"src": src, "dest": dest, "resume": false})
	if res.Data["bytes_transferred"] != int64(len(data)) {
		t.Errorf("bytes_transferred = %v", res.Data["bytes_transferred"])
	}
}

func TestCopyLargeFileIdempotentAndProgress(t *testing.T) {
	src, data := writeSrc(t, 20<<20, 4)
	dest := filepath.Join(t.TempDir(), "bundle.tar")
	h := modtest.NewHost(t)
	var progress []modules.Event
	h.Events = func(e modules.Event) {
		if e.Kind == "progress" {
			progress = append(progress, e)
		}
	}
	args := map[string]any{"src": src, "dest": dest, "checksum": "sha256:" + sha256Hex(data)}
	modtest.MustRun(t, h, "copy", args)
	if len(progress) < 2 || progress[len(progress)-1].Done != int64(len(data)) || progress[0].Total != int64(len(data)) {
		t.Errorf("progress events = %+v", progress)
	}
	for i := 1; i < len(progress); i++ {
		if progress[i].Done <= progress[i-1].Done {
			t.Errorf("progress went backwards: %+v", progress)
		}
	}
	res, changes := modtest.MustRun(t, modtest.NewHost(t), "copy", args)
	if len(changes) != 0 || res.Data["bytes_transferred"] != int64(0) {
		t.Errorf("second run: changes %q, data %v", changes, res.Data)
	}
}

// With become, the part is created by the become user and handed to the
// login user; here both are root, so this runs the become path for real.
func TestCopyWithBecome(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("become without a password prompt needs root here")
	}
	dir := t.TempDir()
	dest := filepath.Join(dir, "f")
	h := modtest.NewHost(t)
	h.Become = &modules.Become{}
	res, _ := modtest.MustRun(t, h, "copy", map[string]any{"content": "secret stuff", "dest": dest, "mode": "0600"})
	if modtest.ReadFile(t, dest) != "secret stuff" || modtest.FileMode(t, dest) != 0o600 || res.Data["owner"] != "root" {
		t.Errorf("dest %q mode %o data %v", modtest.ReadFile(t, dest), modtest.FileMode(t, dest), res.Data)
	}
}

func TestTemplateRendersAndIsIdempotent(t *testing.T) {
	base := t.TempDir()
	os.MkdirAll(filepath.Join(base, "templates"), 0o755)
	os.WriteFile(filepath.Join(base, "templates", "app.conf.j2"), []byte("port={{ port }}\nhost={{host}}\n"), 0o644)
	dest := filepath.Join(t.TempDir(), "app.conf")
	h := modtest.NewHost(t)
	h.BaseDir, h.Vars, h.Diff = base, modtest.Vars{"port": 8080, "host": "db"}, true
	res, changes := modtest.MustRun(t, h, "template", map[string]any{"src": "app.conf.j2", "dest": dest, "mode": "0600"})
	if modtest.ReadFile(t, dest) != "port=8080\nhost=db\n" || len(changes) != 1 || modtest.FileMode(t, dest) != 0o600 {
		t.Fatalf("dest %q, changes %q", modtest.ReadFile(t, dest), changes)
	}
	if len(res.Diffs) != 1 || res.Diffs[0].After != "port=8080\nhost=db\n" {
		t.Errorf("diffs = %+v", res.Diffs)
	}
	if _, changes = modtest.MustRun(t, h, "template", map[string]any{"src": "app.conf.j2", "dest": dest, "mode": "0600"}); len(changes) != 0 {
		t.Errorf("second run changed: %q", changes)
	}
	h.Vars = modtest.Vars{"port": 8080}
	if _, _, err := modtest.Run(t, h, "template", map[string]any{"src": "app.conf.j2", "dest": dest}); err == nil || !strings.Contains(err.Error(), "app.conf.j2") {
		t.Errorf("render error = %v", err)
	}
}

func BenchmarkCopy64MiB(b *testing.B) {
	src, _ := writeSrc(b, 64<<20, 5)
	dir := b.TempDir()
	b.SetBytes(64 << 20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dest := filepath.Join(dir, fmt.Sprint("f", i))
		if _, _, err := modtest.Run(b, modtest.NewHost(b), "copy", map[string]any{"src": src, "dest": dest}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCopy64MiBUnchanged measures the idempotent path: equal sizes, so
// both sides hash (the controller's hash comes from the run's cache).
func BenchmarkCopy64MiBUnchanged(b *testing.B) {
	src, _ := writeSrc(b, 64<<20, 6)
	dest := filepath.Join(b.TempDir(), "f")
	if _, _, err := modtest.Run(b, modtest.NewHost(b), "copy", map[string]any{"src": src, "dest": dest}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(64 << 20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := modtest.Run(b, modtest.NewHost(b), "copy", map[string]any{"src": src, "dest": dest}); err != nil {
			b.Fatal(err)
		}
	}
}

// A dry run plans a copy into a directory that an earlier task of the same
// dry run would create, instead of failing on it.
func TestCopyCheckModeIntoMissingDirectory(t *testing.T) {
	h := modtest.NewHost(t)
	h.Check = true
	dest := filepath.Join(t.TempDir(), "not", "yet", "file.txt")
	_, changes := modtest.MustRun(t, h, "copy", map[string]any{"content": "hello", "dest": dest})
	if len(changes) != 1 || !strings.Contains(changes[0], "its directory does not exist yet") {
		t.Errorf("changes = %v", changes)
	}
	h = modtest.NewHost(t)
	if _, _, err := modtest.Run(t, h, "copy", map[string]any{"content": "hello", "dest": dest}); err == nil || !strings.Contains(err.Error(), "create it first") {
		t.Errorf("a real run into a missing directory: %v", err)
	}
}

// A dest that is a symbolic link: ansible-playbook 2.14 (copy and template)
// replaces the link by a regular file, reporting changed even when the
// content is the same, and leaves the target alone; with follow: true it
// writes the target and keeps the link, unchanged when the content matches.
func TestCopyReplacesALinkAtDestUnlessFollow(t *testing.T) {
	tests := []struct {
		name          string
		follow        bool
		targetContent string
		changed       bool
		wantTarget    string
		wantLink      bool
	}{
		{"replaced, other content", false, "old\n", true, "old\n", false},
		{"replaced, same content", false, "new\n", true, "new\n", false},
		{"followed, other content", true, "old\n", true, "new\n", true},
		{"followed, same content", true, "new\n", false, "new\n", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			target, dest := filepath.Join(dir, "target"), filepath.Join(dir, "dest")
			os.WriteFile(target, []byte(tc.targetContent), 0o640)
			os.Symlink("target", dest)
			_, changes := modtest.MustRun(t, modtest.NewHost(t), "copy", map[string]any{"content": "new\n", "dest": dest, "follow": tc.follow})
			if (len(changes) > 0) != tc.changed {
				t.Errorf("changes = %q, want changed=%v", changes, tc.changed)
			}
			fi, err := os.Lstat(dest)
			if err != nil || (fi.Mode()&os.ModeSymlink != 0) != tc.wantLink || modtest.ReadFile(t, dest) != "new\n" {
				t.Errorf("dest is %v (%v) with %q, want link=%v with the new content", fi.Mode(), err, modtest.ReadFile(t, dest), tc.wantLink)
			}
			if got := modtest.ReadFile(t, target); got != tc.wantTarget || modtest.FileMode(t, target) != 0o640 {
				t.Errorf("target holds %q mode %o, want %q mode 0640", got, modtest.FileMode(t, target), tc.wantTarget)
			}
			if _, changes := modtest.MustRun(t, modtest.NewHost(t), "copy", map[string]any{"content": "new\n", "dest": dest, "follow": tc.follow}); len(changes) != 0 {
				t.Errorf("second run changed %q", changes)
			}
		})
	}
}
