package account_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/rootfs"
)

// accounts is what the root's databases say of the test accounts.
func accounts(h *rootfs.Host) string {
	return h.Run(`for u in alice bob carol ferrysvc; do getent passwd $u || echo "no $u"; s=$(getent shadow $u | cut -d: -f1-2); echo "${s:-no shadow $u}"; id -Gn $u 2>/dev/null; done
for g in ferryops ferrysys ferrygone; do getent group $g || echo "no $g"; done
ls -d /home/* 2>/dev/null; true`)
}

// TestUserGroupAgainstAnsible runs testdata/account.yml with --check, then
// twice for real, with ferry and with ansible-playbook on a fresh root each:
// recaps, the accounts on disk and every registered field must agree.
func TestUserGroupAgainstAnsible(t *testing.T) {
	ours, theirs := rootfs.Start(t), rootfs.Start(t)
	playbook, _ := filepath.Abs("testdata/account.yml")
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t),
		State: func(o bool) string {
			if o {
				return accounts(ours)
			}
			return accounts(theirs)
		}}.Run(t)
	if got := accounts(ours); !strings.Contains(got, "alice:!$6$saltsalt$") || !strings.Contains(got, "alice:x:2001:2001:A. Ferry:/home/alice:/bin/sh") {
		t.Errorf("alice is not as the playbook made her:\n%s", got)
	}
}
