package ansiblecmp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ansible-playbook run by Playbook polls every pollInterval, as its own
// config lookup reads it.
func TestPlaybookPollInterval(t *testing.T) {
	dir := t.TempDir()
	pb := filepath.Join(dir, "pb.yml")
	play := "- hosts: localhost\n  gather_facts: false\n  tasks:\n" +
		"    - debug: msg=\"poll={{ lookup('config', 'DEFAULT_INTERNAL_POLL_INTERVAL') }}\"\n"
	if err := os.WriteFile(pb, []byte(play), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr, ran := Playbook(t, dir, []string{pb})
	if !ran {
		return
	}
	if code != 0 || !strings.Contains(stdout, `"msg": "poll=`+pollInterval+`"`) {
		t.Errorf("exit %d, want poll=%s:\n%s%s", code, pollInterval, stdout, stderr)
	}
}

// A run with a configuration of its own keeps it: Ansible would read it
// instead of ours.
func TestPollConfigLeavesTheRunsOwn(t *testing.T) {
	if env := pollConfig(t, t.TempDir(), []string{"ANSIBLE_CONFIG=/x/ansible.cfg"}); env != nil {
		t.Errorf("with ANSIBLE_CONFIG set: %v", env)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ansible.cfg"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if env := pollConfig(t, dir, nil); env != nil {
		t.Errorf("with an ansible.cfg where it runs: %v", env)
	}
}
