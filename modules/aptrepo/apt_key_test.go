package aptrepo_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/rootfs"
)

// keyState is what apt-key lists (without its temporary directory's name)
// and the keyring files that hold keys: apt_key.py's listing leaves an
// empty keyring behind even under --check, ferry's does not.
func keyState(h *rootfs.Host) string {
	out := h.Run(`apt-key adv --list-public-keys --keyid-format=long 2>/dev/null; find /etc/apt/trusted.gpg /etc/apt/trusted.gpg.d -size +0 2>\&1 | sort; true`)
	return regexp.MustCompile(`/tmp/apt-key-gpghome\.\w+`).ReplaceAllString(out, "$$tmp")
}

// TestAptKeyAgainstAnsible runs testdata/apt_key.yml with --check, then
// twice for real, through ferry and ansible-playbook on a fresh root each:
// recaps, registered results (apt-key's keys before and after) and the keys
// apt trusts must agree, and the second run changes nothing.
func TestAptKeyAgainstAnsible(t *testing.T) {
	ours, theirs := rootfs.Start(t), rootfs.Start(t)
	key, err := os.ReadFile("testdata/repo-key.asc")
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []*rootfs.Host{ours, theirs} {
		if err := os.WriteFile(h.Path("/root/repo-key.asc"), key, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	playbook, _ := filepath.Abs("testdata/apt_key.yml")
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t),
		State: ansiblecmp.StateOf(ours, theirs, keyState),
		Skip:  []string{"_ansible_verbose_always"}}.Run(t)
}

// TestAptKeyOfflineAgainstAnsible runs testdata/apt_key-offline.yml once
// through each tool on one root: a keyserver and a url fail alike
// (recaps, registered results) and change nothing.
func TestAptKeyOfflineAgainstAnsible(t *testing.T) {
	h := rootfs.Start(t)
	before := keyState(h)
	playbook, _ := filepath.Abs("testdata/apt_key-offline.yml")
	f, a, ran := ansiblecmp.Both(t, ansiblecmp.Run{Playbook: playbook, Inventory: h.Inventory(t)})
	if !ran {
		return
	}
	ansiblecmp.SameRecap(t, f, a)
	// The url's error is the transport's: Python's urlopen names the
	// resolver's errno, ferry the connection's refusal. apt-key's stdout
	// names its random temporary directory.
	ansiblecmp.AllFields(t, f, a, "msg@a url cannot be reached offline", "stdout@a keyserver cannot be reached offline",
		"stdout_lines@a keyserver cannot be reached offline", "_ansible_verbose_always")
	if after := keyState(h); after != before {
		t.Errorf("the failed tasks changed apt's keys:\n%s\nbefore:\n%s", after, before)
	}
}
