package files_test

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/sshtest"
)

// tree is the directory the comparison searches: names, sizes, a hidden
// file, a link, nested directories and an old file for age.
func tree(t testing.TB, workdir string) {
	t.Helper()
	root := filepath.Join(workdir, "tree")
	files := map[string]string{
		"a.txt": "hello\nport=1\n", "b.log": "log\n", ".hidden.txt": "h\n", "big.bin": string(make([]byte, 2048)),
		"sub/c.txt": "c\n", "sub/deep/d.txt": "port=2\n", "sub/deep/deeper/e.txt": "e\n",
	}
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-72 * time.Hour)
	if err := os.Chtimes(filepath.Join(root, "big.bin"), old, old); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a.txt", filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	writeTar(t, filepath.Join(workdir, "app.tar.gz"), true)
	writeTar(t, filepath.Join(workdir, "app.tar"), false)
	for _, d := range []string{"un", "un2"} {
		if err := os.Mkdir(filepath.Join(workdir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// writeTar writes an archive of app/ (a file, an executable, a directory)
// with fixed times, so that both tools unpack the same bytes.
func writeTar(t testing.TB, p string, gz bool) {
	t.Helper()
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var w io.Writer = f
	if gz {
		z := gzip.NewWriter(f)
		defer z.Close()
		w = z
	}
	tw := tar.NewWriter(w)
	defer tw.Close()
	when := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	entries := []struct {
		name, body string
		mode       int64
	}{{"app/", "", 0o755}, {"app/run.sh", "#!/bin/sh\necho hi\n", 0o755}, {"app/conf/", "", 0o750}, {"app/conf/app.ini", "[a]\nb=1\n", 0o640}}
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Mode: e.mode, ModTime: when, Size: int64(len(e.body)), Typeflag: tar.TypeReg}
		if strings.HasSuffix(e.name, "/") {
			hdr.Typeflag = tar.TypeDir
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
}

// statFields are the stat fields that do not differ between two runs'
// fresh trees (times, inodes).
var statFields = []string{"changed", "stat.exists", "stat.path", "stat.mode", "stat.isreg", "stat.isdir", "stat.islnk", "stat.size",
	"stat.nlink", "stat.pw_name", "stat.gr_name", "stat.uid", "stat.readable", "stat.writeable", "stat.executable", "stat.xusr",
	"stat.checksum", "stat.mimetype", "stat.charset", "stat.attributes", "stat.attr_flags", "stat.isuid", "stat.woth", "stat.blocks", "stat.block_size", "stat.device_type"}

// TestCompareFileModules runs slurp, find, tempfile and stat through ferry and
// ansible-playbook against the same sshd host, for real and under --check:
// same recap, same registered fields.
func TestCompareFileModules(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	playbook, _ := filepath.Abs(filepath.Join("testdata", "compare.yml"))
	fields := map[string][]string{
		"slurp":              {"content", "encoding", "source", "changed"},
		"slurp decoded":      {"msg"},
		"slurp missing":      {"msg", "failed"},
		"slurp dir":          {"msg", "failed"},
		"find default":       {"matched", "examined", "msg", "changed", "skipped_paths"},
		"find default paths": {"msg"}, "find default keys": {"msg"},
		"find recurse txt": {"matched", "examined"}, "find recurse txt paths": {"msg"},
		"find depth any": {"matched", "examined"}, "find depth any paths": {"msg"},
		"find regex contains paths": {"msg"}, "find size age checksum fields": {"msg"},
		"find directories":          {"msg", "examined", "skipped_paths"},
		"find links and dirs paths": {"msg"},
		"tempfile":                  {"changed", "mode", "state", "size", "skipped", "msg"},
		"tempfile dir":              {"changed", "mode", "state", "skipped"},
		"stat file keys":            {"msg"},
		"stat file":                 statFields,
		"stat link":                 append(statFields, "stat.lnk_source", "stat.lnk_target"),
		"stat link follow":          append(statFields, "stat.md5"),
		"stat dir":                  statFields,
		"fetch":                     {"changed", "dest", "checksum", "md5sum", "remote_checksum", "remote_md5sum", "msg", "skipped"},
		"fetch again":               {"changed", "dest", "checksum", "md5sum", "file", "msg"},
		"fetch flat":                {"changed", "dest", "checksum"},
		"fetch missing":             {"changed", "file", "msg", "failed"},
		"fetch dir":                 {"changed", "msg", "failed"},
		"copy dir contents":         {"changed", "dest", "src"},
		"copy dir contents again":   {"changed", "dest", "src"},
		"copy dir itself":           {"changed", "dest", "src"},
		"copy remote file":          {"changed", "dest", "src"},
		"copy remote file again":    {"changed", "dest", "src"},
		"unarchive":                 {"changed", "handler", "dest", "files", "extract_results.rc", "mode", "state", "skipped", "msg"},
		"unarchive again":           {"changed", "handler", "dest", "extract_results", "skipped", "msg"},
		"unarchive remote":          {"changed", "handler", "dest", "src", "extract_results.rc", "skipped", "msg"},
		"unarchive remote again":    {"changed", "skipped", "msg"},
		"unarchive creates":         {"changed", "skipped", "msg"},
		"stat missing":              {"stat", "changed"},
	}
	for _, check := range []bool{false, true} {
		r := ansiblecmp.Run{Playbook: playbook, Server: srv, Hosts: map[string]int{"node": 0}, Check: check, Setup: tree}
		f, a, ran := ansiblecmp.Both(t, r)
		if !ran {
			return
		}
		ansiblecmp.SameRecap(t, f, a)
		for task, fs := range fields {
			if check && (task == "tempfile names") {
				continue
			}
			ansiblecmp.SameFields(t, f, a, task, "node", fs...)
		}
		if !check {
			ansiblecmp.SameFields(t, f, a, "tempfile names", "node", "msg")
		}
		got, want := fetched(t, f.Workdir), fetched(t, a.Workdir)
		if got != want || (!check && got == "") {
			t.Errorf("check=%v: fetched files differ:\nferry:   %s\nansible: %s", check, got, want)
		}
	}
}

// fetched lists what fetch and copy left under workdir: paths, modes and
// contents.
func fetched(t *testing.T, workdir string) string {
	var out []string
	for _, top := range []string{"fetched", "flat", "copied", "copied2", "remote.txt", "un", "un2"} {
		filepath.WalkDir(filepath.Join(workdir, top), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			fi, _ := os.Lstat(p)
			entry := fmt.Sprintf("%s %v", strings.ReplaceAll(p, workdir, "$workdir"), fi.Mode())
			if !d.IsDir() {
				b, _ := os.ReadFile(p)
				entry += "=" + string(b)
			}
			out = append(out, entry)
			return nil
		})
	}
	return strings.Join(out, " ")
}
