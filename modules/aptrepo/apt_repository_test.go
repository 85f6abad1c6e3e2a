package aptrepo_test

import (
	"path/filepath"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/rootfs"
)

// prepareSources gives a root the sources files the playbook edits: a
// disabled copy of a line (with a comment and a blank line, which the
// module writes back normalised) and a file whose only line is removed.
func prepareSources(h *rootfs.Host) {
	h.Run(`printf '#deb http://old.example/debian bookworm main\n#a comment\n\ndeb-src   http://old.example/debian bookworm main\n' > /etc/apt/sources.list.d/old.list
printf 'deb http://gone.example/debian bookworm main\n' > /etc/apt/sources.list.d/gone.list
chmod 0640 /etc/apt/sources.list.d/old.list`)
}

// sourcesState is every sources file's name, mode and text.
func sourcesState(h *rootfs.Host) string {
	return h.Run(`for f in /etc/apt/sources.list /etc/apt/sources.list.d/*; do [ -e "$f" ] || continue; stat -c '%n %a' "$f"; cat "$f"; done`)
}

// TestAptRepositoryAgainstAnsible runs testdata/apt_repository.yml with
// --check --diff, then twice for real, through ferry and ansible-playbook on
// a fresh root each: recaps, registered results (the diffs sorted by the
// playbook, as Ansible lists them in a Python set's order) and the sources
// files must agree, and the second run changes nothing.
func TestAptRepositoryAgainstAnsible(t *testing.T) {
	ours, theirs := rootfs.Start(t), rootfs.Start(t)
	prepareSources(ours)
	prepareSources(theirs)
	playbook, _ := filepath.Abs("testdata/apt_repository.yml")
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t), Diff: true,
		State: ansiblecmp.StateOf(ours, theirs, sourcesState),
		Skip:  []string{"diff", "_ansible_verbose_always"}}.Run(t)
}
