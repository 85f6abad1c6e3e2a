package files_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/sshtest"
	"golang.org/x/sys/unix"
)

// archiveTree writes the sources of testdata/archive.yml with fixed times
// (directories last), so that both tools' archives list the same members.
func archiveTree(t testing.TB, workdir string) {
	t.Helper()
	files := map[string]string{"tree/a.txt": "a\n", "tree/b.log": "b\n", "tree/sub/c.txt": "c\n", "tree/sub/deep/d.txt": "d\n",
		"one.txt": "one\n", "two.txt": "two\n", "gone/g.txt": "g\n"}
	arc := filepath.Join(workdir, "arc")
	for name, content := range files {
		p := filepath.Join(arc, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("a.txt", filepath.Join(arc, "tree", "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(workdir, "out"), 0o755); err != nil {
		t.Fatal(err)
	}
	when := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	var paths []string
	filepath.Walk(arc, func(p string, _ os.FileInfo, _ error) error { paths = append(paths, p); return nil })
	for i := len(paths) - 1; i >= 0; i-- { // children before their directory
		tv := unix.NsecToTimeval(when.UnixNano())
		if err := unix.Lutimes(paths[i], []unix.Timeval{tv, tv}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestArchiveAgainstAnsible runs testdata/archive.yml through ferry and
// community.general 6.6.9's archive (live where the collection is
// installed, else as recorded), for real and with --check: same recap, same
// registered fields, same archives (members, modes, times, contents).
func TestArchiveAgainstAnsible(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	playbook, _ := filepath.Abs(filepath.Join("testdata", "archive.yml"))
	// The archives' sizes differ (Python's tarfile and gzip -9 against GNU
	// tar and gzip -6; the members are compared by effects); owners are
	// the test user's, whoever recorded.
	skip := []string{"size", "uid", "gid", "owner", "group", "archived", "expanded_paths", "start", "end", "delta", "cmd", "_ansible_verbose_always"}
	for _, check := range []bool{false, true} {
		r := ansiblecmp.Run{Playbook: playbook, Server: srv, Hosts: map[string]int{"node": 0}, Check: check, Setup: archiveTree}
		golden := ansiblecmp.GoldenFor(playbook)
		if check {
			golden = filepath.Join("testdata", "archive.check.ansible.json")
		}
		golden, _ = filepath.Abs(golden)
		a := ansiblecmp.Reference(t, r, golden, "community.general")
		f := ansiblecmp.Ferry(t, r)
		ansiblecmp.SameRecap(t, f, a)
		ansiblecmp.AllFields(t, f, a, skip...)
		if check {
			if left, _ := os.ReadDir(filepath.Join(f.Workdir, "out")); len(left) != 0 {
				t.Errorf("--check wrote %v", left)
			}
		}
		if t.Failed() {
			t.Logf("ferry's output:\n%s", f.Output)
			t.FailNow()
		}
	}
}
