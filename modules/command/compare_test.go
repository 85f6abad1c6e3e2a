package command_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/sshtest"
)

// TestCompareRawScriptPing runs one playbook of ping, raw and script through
// ferry and ansible-playbook against the same sshd host, for real and under
// --check: same recap, same registered fields, same effects on disk.
func TestCompareRawScriptPing(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	playbook, _ := filepath.Abs(filepath.Join("testdata", "compare", "control.yml"))
	tasks := map[string][]string{
		"ping":                   {"ping", "changed"},
		"ping data":              {"ping"},
		"raw echo":               {"rc", "stdout_lines", "changed"},
		"raw fails":              {"rc", "stdout_lines", "failed", "msg", "changed"},
		"raw executable":         {"rc", "stdout_lines"},
		"script chdir":           {"rc", "stdout_lines", "changed"},
		"script creates":         {"rc", "stdout_lines", "changed", "skipped"},
		"script creates again":   {"msg", "changed", "skipped"},
		"script removes missing": {"msg", "changed", "skipped"},
		"script executable":      {"rc", "stdout_lines"},
		"script fails":           {"rc", "stdout_lines", "failed", "msg"},
	}
	for _, check := range []bool{false, true} {
		r := ansiblecmp.Run{Playbook: playbook, Server: srv, Hosts: map[string]int{"node": 0}, Check: check,
			Setup: func(t testing.TB, dir string) {
				if check { // a marker for creates, so that check mode has a skip to predict
					if err := os.WriteFile(filepath.Join(dir, "marker"), nil, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}}
		f, a, ran := ansiblecmp.Both(t, r)
		if !ran {
			return
		}
		ansiblecmp.SameRecap(t, f, a)
		for task, fields := range tasks {
			ansiblecmp.SameFields(t, f, a, task, "node", fields...)
		}
		for _, name := range []string{"one", "marker", "x"} {
			_, ferryErr := os.Stat(filepath.Join(f.Workdir, name))
			_, ansibleErr := os.Stat(filepath.Join(a.Workdir, name))
			if (ferryErr == nil) != (ansibleErr == nil) {
				t.Errorf("check=%v: %s exists after ferry: %v, after ansible: %v", check, name, ferryErr == nil, ansibleErr == nil)
			}
		}
	}
}
