package modules

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestAppendScript runs the host's side of an upload under /bin/sh (dash on
// Debian) and checks the part and the sha256 it prints. A write to the part
// that fails (here the file size limit, with SIGXFSZ ignored so that cat
// gets EFBIG as on a full disk) must fail the script.
func TestAppendScript(t *testing.T) {
	data := make([]byte, 1<<20)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:])
	tests := []struct {
		name     string
		existing []byte // the part before the run, nil for none
		offset   int64
		prelude  string
		fail     bool
	}{
		{name: "new part", offset: 0},
		{name: "resumed part", existing: data[:300000], offset: 300000},
		{name: "longer part cut back", existing: append(append([]byte{}, data[:1000]...), "junk"...), offset: 1000},
		{name: "part rewritten from the start", existing: []byte("stale"), offset: 0},
		{name: "write fails", offset: 0, prelude: "trap '' XFSZ; ulimit -f 64; ", fail: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			part := filepath.Join(t.TempDir(), "dest.ferry-part")
			if tc.existing != nil {
				if err := os.WriteFile(part, tc.existing, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command("/bin/sh", "-c", tc.prelude+appendScript(part, tc.offset, tc.existing == nil))
			cmd.Stdin = bytes.NewReader(data[tc.offset:])
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if tc.fail {
				if err == nil {
					t.Fatalf("the script succeeded (printed %q) although writing the part failed", stdout.String())
				}
				return
			}
			if err != nil {
				t.Fatalf("%v: %s", err, stderr.String())
			}
			if got, _, _ := strings.Cut(stdout.String(), " "); got != want {
				t.Errorf("printed sha256 %q, want %q", got, want)
			}
			got, err := os.ReadFile(part)
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("part differs from the source (%d bytes, %v)", len(got), err)
			}
		})
	}
}

// TestBackupScriptNeverWritesThroughALink: a backup name that already
// exists (here a link someone planted at the predictable name) fails the
// backup instead of writing the old content through the link.
func TestBackupScriptNeverWritesThroughALink(t *testing.T) {
	dir := t.TempDir()
	dest, backup, victim := filepath.Join(dir, "dest"), filepath.Join(dir, "dest.1.bak~"), filepath.Join(dir, "victim")
	os.WriteFile(dest, []byte("old secret"), 0o600)
	os.WriteFile(victim, []byte("victim"), 0o644)
	if out, err := exec.Command("/bin/sh", "-c", backupScript(dest, backup)).CombinedOutput(); err != nil {
		t.Fatalf("backup: %v %s", err, out)
	}
	if got, _ := os.ReadFile(backup); string(got) != "old secret" {
		t.Errorf("backup holds %q", got)
	}
	os.Remove(backup)
	os.Symlink(victim, backup)
	if err := exec.Command("/bin/sh", "-c", backupScript(dest, backup)).Run(); err == nil {
		t.Error("the backup succeeded onto a planted link")
	}
	if got, _ := os.ReadFile(victim); string(got) != "victim" {
		t.Errorf("the link's target now holds %q", got)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".ferry-tmp.*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
