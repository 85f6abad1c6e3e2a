package subversion_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/rootfs"
)

// repository makes /srv/svn/repo (r1 trunk, r2 branches/b1 copied from
// it, r3 and r4 on trunk) and the working copies the playbook finds.
const repository = `set -e
export HOME=/root
mkdir -p /srv/svn && svnadmin create /srv/svn/repo
R=file:///srv/svn/repo
mkdir -p /tmp/imp/trunk && echo one > /tmp/imp/trunk/README
svn import -q -m init /tmp/imp $R
svn copy -q --parents -m branch $R/trunk $R/branches/b1
svn checkout -q $R/trunk /tmp/co
echo two >> /tmp/co/README && echo new > /tmp/co/NEW && svn add -q /tmp/co/NEW && svn commit -q -m two /tmp/co
echo three >> /tmp/co/README && svn commit -q -m three /tmp/co
mkdir -p /srv/wc /srv/export
svn checkout -q -r 1 $R/trunk /srv/wc/old
svn checkout -q $R/trunk /srv/wc/modified && echo mine >> /srv/wc/modified/README
svn checkout -q $R/trunk /srv/wc/forced && echo mine >> /srv/wc/forced/README
svn checkout -q $R/trunk /srv/wc/switched
mkdir /srv/wc/inplace && echo local > /srv/wc/inplace/README
mkdir /srv/wc/plain && echo x > /srv/wc/plain/file
`

// copies describes every working copy and export: revision, URL, status
// and the files' checksums.
const copies = `export HOME=/root
for d in /srv/wc/* /srv/export/*; do [ -e "$d" ] || continue
  echo "== $d"
  svn info --show-item revision "$d" 2>&1; svn info --show-item url "$d" 2>&1; svn status "$d" 2>&1
  (cd "$d" && find . -path ./.svn -prune -o -type f -print | sort | xargs -r md5sum)
done`

// TestSubversionAgainstAnsible runs testdata/subversion.yml with --check,
// then twice for real, with ferry and ansible-playbook on a fresh root
// each: recaps, every registered field (before, after, the failures' cmd,
// rc and messages) and the working copies must agree.
func TestSubversionAgainstAnsible(t *testing.T) {
	ours, theirs := rootfs.Start(t), rootfs.Start(t)
	ours.Run(repository)
	theirs.Run(repository)
	playbook, _ := filepath.Abs("testdata/subversion.yml")
	describe := func(h *rootfs.Host) string { return h.Run(copies) }
	checkInPlace(t, ours, describe)
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t),
		State: ansiblecmp.StateOf(ours, theirs, describe)}.Run(t)
}

// checkInPlace: under --check, in_place changes nothing in ferry (Ansible's
// module checks out over the directory) and registers what the real run
// registers in both tools (compared by the playbook's task); a password
// given to svn (on its input) never shows in ferry's output.
func checkInPlace(t *testing.T, h *rootfs.Host, describe func(*rootfs.Host) string) {
	before := describe(h)
	playbook, _ := filepath.Abs("testdata/inplace-check.yml")
	f := ansiblecmp.Ferry(t, ansiblecmp.Run{Playbook: playbook, Inventory: h.Inventory(t), Check: true})
	r := f.Result(t, "check out in place, forced", "target")
	want := `map[after:[Revision: 4 URL: file:///srv/svn/repo/trunk] before:<nil> changed:true failed:false]`
	if got := fmt.Sprint(r); got != want {
		t.Errorf("in_place under --check registered %s, want %s", got, want)
	}
	if strings.Contains(f.Output, "s3cret-svn") {
		t.Errorf("the password is in ferry's output:\n%s", f.Output)
	}
	if after := describe(h); after != before {
		t.Errorf("in_place under --check changed the host:\n%s\nbefore:\n%s", after, before)
	}
}
