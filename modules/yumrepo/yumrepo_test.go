package yumrepo_test

import (
	"path/filepath"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/rootfs"
)

// repos are the files the playbook finds: comments, continuation lines, a
// DEFAULT section and options without spaces, which RawConfigParser reads
// and yum_repository.py writes back its own way.
const repos = `mkdir -p /etc/yum.repos.d /srv/repos
cat > /etc/yum.repos.d/old.repo <<'E'
# a comment that goes
[DEFAULT]
keepalive=1

[old]
name = Old
baseurl = http://old.example.com/a/
   http://old.example.com/b/
; another comment
enabled=1

[other]
name: Other
Baseurl = http://other.example.com/
E
printf '[single]\nname = Single\nbaseurl = http://single.example.com/\n' > /etc/yum.repos.d/single.repo
printf '[tight]\nbaseurl=http://tight.example.com/\nname=Tight\nenabled=1\n' > /etc/yum.repos.d/tight.repo
`

// reposState lists every .repo file with its mode, owner and content.
const reposState = `for f in /etc/yum.repos.d/* /srv/repos/*; do [ -e "$f" ] || continue
stat -c '== %n %a %U:%G' "$f"; cat "$f"; done`

// TestYumRepositoryAgainstAnsible runs testdata/yum_repository.yml with
// --check, then twice for real, with ferry and ansible-playbook on a fresh
// root each: recaps, every registered field (diff's before and after, the
// failures' messages) and the files (bytes, modes, owners) must agree.
// The second task's diff is left out: it shows epel's proxy_password as
// read from the file, which ansible-playbook masks only in the task that
// gives it (no_log), and ferry wherever it appears.
func TestYumRepositoryAgainstAnsible(t *testing.T) {
	ours, theirs := rootfs.Start(t), rootfs.Start(t)
	ours.Run(repos)
	theirs.Run(repos)
	playbook, _ := filepath.Abs("testdata/yum_repository.yml")
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t), Diff: true,
		Skip:  []string{"diff@a second repository in the same file, mode 0600"},
		State: ansiblecmp.StateOf(ours, theirs, func(h *rootfs.Host) string { return h.Run(reposState) })}.Run(t)
}
