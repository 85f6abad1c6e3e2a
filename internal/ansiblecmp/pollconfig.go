package ansiblecmp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pollInterval is the controller's internal_poll_interval for the test
// runs. Ansible's default (1 ms) has the controller wake a thousand times a
// second while a task runs on the host: about half of a playbook run's
// controller CPU in the suite, which is CPU-bound on 2 cores. 10 ms keeps a
// task's added latency below what a test could notice; no result, recap or
// effect depends on it (it is only how often Ansible's processes look at
// each other's queues).
const pollInterval = "0.01"

// pollConfig is the environment that gives ansible-playbook an ansible.cfg
// with pollInterval alone (the setting has no environment variable), unless
// the run has a configuration of its own: ANSIBLE_CONFIG in env, or an
// ansible.cfg in the directory it runs from, which Ansible would read
// instead (that run keeps Ansible's default).
func pollConfig(t testing.TB, dir string, env []string) []string {
	t.Helper()
	for _, e := range env {
		if strings.HasPrefix(e, "ANSIBLE_CONFIG=") {
			return nil
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "ansible.cfg")); err == nil {
		return nil
	}
	cfg := filepath.Join(t.TempDir(), "ansible.cfg")
	if err := os.WriteFile(cfg, []byte("[defaults]\ninternal_poll_interval = "+pollInterval+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"ANSIBLE_CONFIG=" + cfg}
}
