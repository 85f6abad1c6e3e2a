package runner

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/ferry-sh/ferry/internal/sshtest"
)

// meta: reset_connection closes the host's connection: the next task logs
// in again (a second connection to sshd), where without it the whole run
// uses one. A host that did not connect yet has nothing to close.
func TestResetConnectionLogsInAgain(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{Hosts: 2})
	inv := sshInventory(t, map[string][]string{"web": {"web1", "web2"}},
		map[string]map[string]any{"web1": srv.Vars(0), "web2": srv.Vars(1)})
	dir := t.TempDir()
	pb := filepath.Join(dir, "site.yml")
	writeFile(t, pb, `
- hosts: web
  gather_facts: false
  tasks:
    - command: "true"
      when: inventory_hostname == 'web1'
    - meta: reset_connection
    - command: "true"
    - meta: reset_connection
      when: inventory_hostname == 'nowhere'
    - command: "true"
`)
	var stdout, stderr bytes.Buffer
	s := &Session{Playbook: pb, Inventories: []string{inv}, Stdout: &stdout, Stderr: &stderr, Output: "text"}
	if code := s.Run(context.Background()); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	// web1: before the first reset, after it, after the second (which
	// ignores its when, with Ansible's warning); web2 connects first after
	// the first reset.
	for i, want := range []int{3, 2} {
		if n := srv.Connections(srv.Addrs[i]); n != want {
			t.Errorf("web%d: %d connections, want %d\n%s", i+1, n, want, stdout.String())
		}
	}
	if !bytes.Contains(stderr.Bytes(), []byte("reset_connection task does not support when conditional")) {
		t.Errorf("no warning for reset_connection's when on stderr:\n%s", stderr.String())
	}
}
