package filestate_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/sshtest"
)

// preserveSources writes the sources of testdata/preserve.yml, each with a
// mode no default gives, and the empty out directory (conf.ini there with
// its source's content and another mode).
func preserveSources(t testing.TB, workdir string) {
	t.Helper()
	for _, f := range []struct {
		name, body string
		mode       os.FileMode
	}{{"src/run.sh", "#!/bin/sh\n", 0o750}, {"src/conf.ini", "[a]\n", 0o604}, {"src/app.conf.j2", "port={{ 80 + 1 }}\n", 0o640},
		{"src/tree/a.sh", "a\n", 0o755}, {"src/tree/sub/b.txt", "b\n", 0o600}, {"src/remote.bin", "bin\n", 0o711},
		{"out/conf.ini", "[a]\n", 0o644}} {
		p := filepath.Join(workdir, f.name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f.body), f.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.mode); err != nil {
			t.Fatal(err)
		}
	}
}

// TestComparePreserveMode runs testdata/preserve.yml through ferry and
// ansible-playbook against the same sshd host, for real and under --check:
// same recap, same changed and failure of every task (and dest, mode, state
// and size for real), and the same files and modes in the end.
func TestComparePreserveMode(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	playbook, _ := filepath.Abs(filepath.Join("testdata", "preserve.yml"))
	for _, check := range []bool{false, true} {
		r := ansiblecmp.Run{Playbook: playbook, Server: srv, Hosts: map[string]int{"node": 0}, Check: check, Setup: preserveSources}
		f, a, ran := ansiblecmp.Both(t, r)
		if !ran {
			return
		}
		ansiblecmp.SameRecap(t, f, a)
		fields := []string{"changed", "failed", "msg", "mode", "dest", "state", "size"}
		if check { // what copy registers under --check: TestResultsAgainstAnsible
			fields = fields[:3]
		}
		for _, task := range a.Tasks {
			ansiblecmp.SameFields(t, f, a, task.Name, "node", fields...)
		}
		ansiblecmp.SameFields(t, f, a, "effects", "node", "stdout")
		if t.Failed() {
			t.Logf("ferry's output:\n%s", f.Output)
			t.FailNow()
		}
	}
}
