package probe_test

import (
	"path/filepath"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/sshtest"
)

// TestGatherFactsAgainstAnsible runs gather_facts as a task, then a
// filtered setup, with ferry and ansible-playbook on the same sshd host:
// the recaps, gather_facts' registered result (its facts, warnings and
// deprecations) and the facts the host has afterwards must agree.
func TestGatherFactsAgainstAnsible(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	playbook, _ := filepath.Abs(filepath.Join("testdata", "compare", "gather_facts.yml"))
	f, a, ran := ansiblecmp.Both(t, ansiblecmp.Run{Playbook: playbook, Server: srv, Hosts: map[string]int{"node": 0}})
	if !ran {
		return
	}
	ansiblecmp.SameRecap(t, f, a)
	ansiblecmp.AllFields(t, f, a, "_ansible_verbose_override", "_ansible_verbose_always")
}
