package files_test

import (
	"archive/zip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/sshtest"
)

// writeZip writes app.zip (directories, an executable, a private file, a
// link) with fixed times and Unix modes, and the empty destinations.
func writeZip(t testing.TB, workdir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(workdir, "app.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	defer zw.Close()
	when := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, e := range []struct {
		name, body string
		mode       os.FileMode
	}{{"app/", "", os.ModeDir | 0o755}, {"app/run.sh", "#!/bin/sh\necho hi\n", 0o755}, {"app/conf/", "", os.ModeDir | 0o750},
		{"app/conf/app.ini", "[a]\nb=1\n", 0o640}, {"app/link", "run.sh", os.ModeSymlink | 0o777}} {
		hdr := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: when}
		hdr.SetMode(e.mode)
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"z1", "z2", "z3"} {
		if err := os.Mkdir(filepath.Join(workdir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	unpackedCopy(t, filepath.Join(workdir, "z4"), when)
}

// unpackedCopy writes app.zip's members as unzip leaves them (modes, the
// files' times), so that both tools find the archive unpacked there.
func unpackedCopy(t testing.TB, dir string, when time.Time) {
	t.Helper()
	for _, d := range []struct {
		name string
		mode os.FileMode
	}{{"", 0o755}, {"app", 0o755}, {"app/conf", 0o750}} {
		p := filepath.Join(dir, d.name)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, d.mode); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range map[string]string{"app/run.sh": "#!/bin/sh\necho hi\n", "app/conf/app.ini": "[a]\nb=1\n"} {
		p := filepath.Join(dir, name)
		mode := os.FileMode(0o755)
		if name == "app/conf/app.ini" {
			mode = 0o640
		}
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, when, when); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("run.sh", filepath.Join(dir, "app", "link")); err != nil {
		t.Fatal(err)
	}
}

// TestUnzipAgainstAnsible runs testdata/unzip.yml through ferry and
// ansible-playbook against the same sshd host, for real and under --check:
// same recap, same registered fields, same files unpacked.
func TestUnzipAgainstAnsible(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	playbook, _ := filepath.Abs(filepath.Join("testdata", "unzip.yml"))
	// src of a controller archive is each tool's temporary copy on the host
	// (under --check ferry reads the controller's file instead).
	skip := []string{"src@unzip", "src@unzip again", "src@unzip over an unpacked copy", "extract_results@unzip", "uid", "gid", "owner", "group", "start", "end", "delta", "cmd", "size"}
	compareArchiveRuns(t, srv, playbook, writeZip, skip, nil, false, true)
}

// compareArchiveRuns runs playbook through ferry and ansible-playbook on
// srv's host "node", for real and/or under --check (checks), each from a
// work directory that setup prepares: same recap, every registered field
// the same but those skip names (see ansiblecmp.AllFields); more compares
// what else the caller needs.
func compareArchiveRuns(t *testing.T, srv *sshtest.Server, playbook string, setup func(testing.TB, string), skip []string, more func(f, a ansiblecmp.Outcome), checks ...bool) {
	t.Helper()
	for _, check := range checks {
		r := ansiblecmp.Run{Playbook: playbook, Server: srv, Hosts: map[string]int{"node": 0}, Check: check, Setup: setup}
		f, a, ran := ansiblecmp.Both(t, r)
		if !ran {
			return
		}
		ansiblecmp.SameRecap(t, f, a)
		ansiblecmp.AllFields(t, f, a, skip...)
		if more != nil {
			more(f, a)
		}
		if t.Failed() {
			t.Logf("ferry's output (check %v):\n%s", check, f.Output)
			t.FailNow()
		}
	}
}
