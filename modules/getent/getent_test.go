package getent_test

import (
	"path/filepath"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/rootfs"
)

// TestGetentAgainstAnsible runs testdata/getent.yml with --check, then
// twice for real, with ferry and ansible-playbook on a fresh root each:
// recaps and every registered field (the facts) must agree.
func TestGetentAgainstAnsible(t *testing.T) {
	ours, theirs := rootfs.Start(t), rootfs.Start(t)
	for _, h := range []*rootfs.Host{ours, theirs} {
		h.Run("groupadd -g 2345 ferrygrp && useradd -M -G ferrygrp alice")
	}
	playbook, _ := filepath.Abs("testdata/getent.yml")
	none := func(bool) string { return "" }
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t), State: none, Skip: []string{"_ansible_verbose_always"}}.Run(t)
}
