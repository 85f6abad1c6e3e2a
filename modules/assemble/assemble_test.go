package assemble_test

import (
	"path/filepath"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/rootfs"
)

// fragments is the root's /srv/frag and the file the backup task replaces.
const fragments = `mkdir -p /srv/frag/sub /srv/out && cd /srv/frag
printf 'a\n' > 01-a; printf 'b' > 02-b; printf 'hidden\n' > .hidden; ln -s 01-a 03-link; echo no > sub/x
printf 'old\n' > /srv/out/backup`

// outputs lists /srv/out: each file's mode, owner and content; a backup's
// name without its pid and time.
const outputs = `cd /srv/out && for f in *; do
  printf '== %s %s\n' "$(echo "$f" | sed 's/\.[0-9]*\.[0-9-]*@[0-9:]*~$/.BACKUP~/')" "$(stat -c '%a %U:%G' "$f")"; cat "$f"; echo
done`

// TestAssembleAgainstAnsible runs testdata/assemble.yml with --check (every
// task skipped, as Ansible's action does not support it), then twice for
// real, with ferry and ansible-playbook on a fresh root each: recaps,
// registered fields and the files (content, mode, owner, backups) must
// agree. Not compared: backup_file (a pid and a time) and the controller
// task's src (Ansible's temporary file on the host).
func TestAssembleAgainstAnsible(t *testing.T) {
	ours, theirs := rootfs.Start(t), rootfs.Start(t)
	ours.Run(fragments)
	theirs.Run(fragments)
	playbook, _ := filepath.Abs("testdata/assemble.yml")
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t),
		Skip:  []string{"backup_file", "src@from the controller"},
		State: ansiblecmp.StateOf(ours, theirs, func(h *rootfs.Host) string { return h.Run(outputs) })}.Run(t)
}
