package dyninv_test

import (
	"path/filepath"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/sshtest"
)

// TestCompareWithAnsible runs add_host, group_by and the meta actions
// through ferry and ansible-playbook against the same two sshd hosts: the
// same recap, the same changed flags, the same groups and variables seen by
// the plays that follow (group_vars of a group made by group_by included).
func TestCompareWithAnsible(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{Hosts: 2})
	playbook, _ := filepath.Abs(filepath.Join("testdata", "compare.yml"))
	for _, check := range []bool{false, true} {
		compareDynamic(t, ansiblecmp.Run{Playbook: playbook, Server: srv, Hosts: map[string]int{"node1": 0, "node2": 1},
			HostVars: map[string]map[string]any{"node1": {"kind": "a"}, "node2": {"kind": "b"}}, Check: check})
	}
}

// compareDynamic runs r both ways and compares the tasks' fields (under
// --check too: add_host and group_by change the inventory in a dry run, as
// in Ansible, so that the later plays can be checked).
func compareDynamic(t *testing.T, r ansiblecmp.Run) {
	f, a, ran := ansiblecmp.Both(t, r)
	if !ran {
		return
	}
	ansiblecmp.SameRecap(t, f, a)
	for _, c := range []struct {
		task, host string
		fields     []string
	}{
		{"group by", "node1", []string{"changed", "add_group", "parent_groups"}},
		{"group by", "node2", []string{"changed", "add_group"}},
		{"group by again", "node1", []string{"changed", "parent_groups"}},
		{"add host", "node1", []string{"changed", "add_host.host_name", "add_host.groups", "add_host.host_vars.greeting"}},
		{"add host again", "node1", []string{"changed", "add_host"}},
		{"add in a loop", "node1", []string{"changed"}},
		{"after end_host", "node1", []string{"msg"}},
		{"in kind_a", "node1", []string{"msg"}},
		{"facts before", "node1", []string{"msg"}},
		{"facts after clear", "node1", []string{"msg"}},
		{"after refresh", "node2", []string{"msg"}},
		{"still running", "node1", []string{"msg"}},
		{"node2 back", "node2", []string{"msg"}},
	} {
		ansiblecmp.SameFields(t, f, a, c.task, c.host, c.fields...)
	}
	if !r.Check {
		ansiblecmp.SameFields(t, f, a, "on added", "extra", "stdout")
	}
}
