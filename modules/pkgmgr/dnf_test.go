package pkgmgr_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/modtest"
	"github.com/ferry-sh/ferry/internal/rootfs"
	"github.com/ferry-sh/ferry/modules"
)

// rpmSpec is a minimal package: /usr/share/NAME/version holds its version.
const rpmSpec = `Name: %[1]s
Version: %[2]s
Release: 1
Summary: ferry test package
License: MIT
BuildArch: noarch
%[3]s
%%description
ferry test package
%%install
mkdir -p %%{buildroot}/usr/share/%[1]s
echo %[2]s > %%{buildroot}/usr/share/%[1]s/version
%%files
/usr/share/%[1]s/version
`

// dnfRoot is a root with no repository enabled (dnf there has none: the
// airgapped case) and unsigned test packages in /srv/rpms, built by
// rpmbuild inside the first root and copied into the others.
func dnfRoot(t *testing.T) *rootfs.Host {
	h := rootfs.Start(t)
	built.once.Do(func() { built.rpms, built.err = buildRPMs(h) })
	if built.err != nil {
		t.Fatal(built.err)
	}
	dir := h.Path("/srv/rpms")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range built.rpms {
		writeRoot(t, filepath.Join(dir, name), string(data))
	}
	return h
}

// built are the test packages by file name: rpmbuild takes seconds of CPU
// a package, and the packages are the same in every root.
var built struct {
	once sync.Once
	rpms map[string][]byte
	err  error
}

// buildRPMs builds the test packages with rpmbuild inside h and returns them.
func buildRPMs(h *rootfs.Host) (map[string][]byte, error) {
	build := h.Path("/tmp/rpmbuild")
	if err := os.MkdirAll(build, 0o755); err != nil {
		return nil, err
	}
	var specs []string
	for _, p := range []struct{ name, version, requires string }{
		{"ferry-hello", "1.0", ""}, {"ferry-hello", "1.1", ""}, {"ferry-dep", "1.0", ""}, {"ferry-app", "1.0", "Requires: ferry-dep"},
	} {
		spec := fmt.Sprintf("%s-%s.spec", p.name, p.version)
		if err := os.WriteFile(filepath.Join(build, spec), []byte(fmt.Sprintf(rpmSpec, p.name, p.version, p.requires)), 0o644); err != nil {
			return nil, err
		}
		specs = append(specs, "/tmp/rpmbuild/"+spec)
	}
	if out, err := h.Try("cd /tmp/rpmbuild && for s in " + strings.Join(specs, " ") + "; do rpmbuild -bb --define '_topdir /tmp/rpmbuild/top' $s >/dev/null 2>&1 || exit 1; done"); err != nil {
		return nil, fmt.Errorf("rpmbuild: %v\n%s", err, out)
	}
	files, err := filepath.Glob(filepath.Join(build, "top/RPMS/noarch/*.rpm"))
	if err != nil || len(files) != 4 {
		return nil, fmt.Errorf("rpmbuild made %q (%v)", files, err)
	}
	rpms := map[string][]byte{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		rpms[filepath.Base(f)] = data
	}
	return rpms, nil
}

// rpmInstalled lists the test packages rpm has installed.
func rpmInstalled(h *rootfs.Host) string {
	out, _ := h.Try("rpm -qa 'ferry-*' --qf '%{NAME}-%{VERSION}-%{RELEASE}\\n' | sort")
	return out
}

// TestDnfAgainstAnsible: local files (install, upgrade, an older file
// left alone), names installed or not available, a missing dependency,
// removal with the packages that need it, an unsigned file with the
// signature checked, yum as dnf, package with use dnf; --check, real and
// rerun, compared with ansible-playbook's dnf in the same kind of root.
func TestDnfAgainstAnsible(t *testing.T) {
	ours, theirs := dnfRoot(t), dnfRoot(t)
	playbook, _ := filepath.Abs("testdata/dnf.yml")
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t),
		State: ansiblecmp.StateOf(ours, theirs, rpmInstalled)}.Run(t)
	if got, want := rpmInstalled(ours), "ferry-hello-1.1-1\n"; got != want {
		t.Errorf("installed:\n%s\nwant:\n%s", got, want)
	}
}

// ferry doc dnf and yum, as reviewed.
func TestDnfDoc(t *testing.T) {
	modtest.DocGolden(t, "dnf")
	modtest.DocGolden(t, "yum")
}

// package and yum hand a host whose pkg_mgr fact is dnf to dnf (the root's
// own fact is apt, so ansible-playbook cannot be run on this case): a
// local file is installed with dnf's arguments, planned only under --check.
func TestPackageAndYumPickDnfFromTheFact(t *testing.T) {
	root := dnfRoot(t)
	h := &modules.Host{Name: "target", Conn: modules.Seal(modtest.SSHConnWith(t, root.Vars())), Cache: &sync.Map{},
		Vars: modtest.Vars{"ansible_facts": map[string]any{"pkg_mgr": "dnf"}}}
	for _, module := range []string{"package", "yum"} {
		args := map[string]any{"name": "/srv/rpms/ferry-dep-1.0-1.noarch.rpm", "state": "present", "disable_gpg_check": true}
		checked := modtest.Checked(h)
		checked.Vars = h.Vars
		res, changes := modtest.MustRun(t, checked, module, args)
		if len(changes) != 1 || res.Data["msg"] != "Check mode: No changes made, but would have if not in check mode" || rpmInstalled(root) != "" {
			t.Fatalf("%s --check: changes %q, result %v, installed %q", module, changes, res.Data, rpmInstalled(root))
		}
		res, changes = modtest.MustRun(t, h, module, args)
		if want := []any{"Installed /srv/rpms/ferry-dep-1.0-1.noarch.rpm", "Installed: ferry-dep-1.0-1.noarch"}; len(changes) != 1 || !reflect.DeepEqual(res.Data["results"], want) {
			t.Fatalf("%s: changes %q, results %v, want %v", module, changes, res.Data["results"], want)
		}
		if got := rpmInstalled(root); got != "ferry-dep-1.0-1\n" {
			t.Fatalf("%s installed %q", module, got)
		}
		root.Run("rpm -e ferry-dep")
	}
}
