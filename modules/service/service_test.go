package service_test

import (
	"path/filepath"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
)

// TestServiceAgainstAnsible runs testdata/service.yml with --check, then
// twice for real, with ferry and ansible-playbook on a fresh root each:
// recaps, unit links and every registered field must agree.
func TestServiceAgainstAnsible(t *testing.T) {
	ours, theirs := unitRoot(t), unitRoot(t)
	playbook, _ := filepath.Abs("testdata/service.yml")
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t),
		State: ansiblecmp.StateOf(ours, theirs, links)}.Run(t)
}
