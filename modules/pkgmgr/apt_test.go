package pkgmgr_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/rootfs"
)

// deb builds a small package with dpkg-deb: it installs
// /usr/share/NAME/version holding its version, and a conffile.
func deb(t *testing.T, dir, name, version, depends string) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), name)
	control := fmt.Sprintf("Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: ferry tests <t@example.com>\nDescription: test package\n", name, version)
	if depends != "" {
		control += "Depends: " + depends + "\n"
	}
	files := map[string]string{
		"DEBIAN/control":                 control,
		"DEBIAN/conffiles":               "/etc/" + name + ".conf\n",
		"etc/" + name + ".conf":          "setting = 1\n",
		"usr/share/" + name + "/version": version + "\n",
	}
	for p, content := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, fmt.Sprintf("%s_%s_all.deb", name, version))
	if b, err := exec.Command("dpkg-deb", "--root-owner-group", "-Zgzip", "--build", root, out).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb: %v\n%s", err, b)
	}
	return out
}

// repository makes a flat apt repository of debs (Packages written here,
// as apt-ftparchive would) at /srv/repo in the root, the only source, with
// the cache updated; and /srv/debs for local files.
func repository(t *testing.T, h *rootfs.Host, debs, local []string) {
	t.Helper()
	repo := h.Path("/srv/repo")
	for _, d := range []string{repo, h.Path("/srv/debs")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var index strings.Builder
	for _, d := range debs {
		data, err := os.ReadFile(d)
		if err != nil {
			t.Fatal(err)
		}
		fields, err := exec.Command("dpkg-deb", "-f", d).Output()
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		fmt.Fprintf(&index, "%sFilename: ./%s\nSize: %d\nSHA256: %s\n\n", fields, filepath.Base(d), len(data), hex.EncodeToString(sum[:]))
		copyFile(t, d, filepath.Join(repo, filepath.Base(d)))
	}
	for _, d := range local {
		copyFile(t, d, h.Path("/srv/debs/"+filepath.Base(d)))
	}
	writeRoot(t, filepath.Join(repo, "Packages"), index.String())
	writeRoot(t, h.Path("/etc/apt/sources.list"), "deb [trusted=yes] file:/srv/repo ./\n")
	h.Run("rm -f /etc/apt/sources.list.d/*; apt-get update -qq")
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	writeRoot(t, to, string(data))
}

func writeRoot(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// aptRoot is a root with the test packages in its repository.
func aptRoot(t *testing.T, build string) *rootfs.Host {
	h := rootfs.Start(t)
	repo := []string{
		deb(t, build, "ferry-hello", "1.0", ""), deb(t, build, "ferry-hello", "1.1", ""),
		deb(t, build, "ferry-extra", "1.0", ""), deb(t, build, "ferry-dep", "1.0", ""),
		deb(t, build, "ferry-check", "1.0", ""), deb(t, build, "ferry-pin", "1.0", ""), deb(t, build, "ferry-pin", "1.1", ""),
	}
	repository(t, h, repo, []string{deb(t, build, "ferry-local", "1.0", "ferry-dep")})
	// An older ferry-hello installed by hand, for present and latest.
	copyFile(t, deb(t, build, "ferry-hello", "0.9", ""), h.Path("/srv/ferry-hello_0.9_all.deb"))
	h.Run("dpkg -i /srv/ferry-hello_0.9_all.deb >/dev/null")
	return h
}

// installed lists the test packages dpkg knows, with version and state.
func installed(h *rootfs.Host) string {
	out, _ := h.Try("dpkg-query -W -f='${Package} ${Version} ${db:Status-Abbrev}\\n' 'ferry-*' 2>/dev/null | grep -v ' un $' | sort")
	return out
}

// aptSkip are apt's result fields that cannot be the same: apt-get's own
// output (a msg with newlines is that too), the cache's and a command's timestamps; and
// a .deb's diff, which in Ansible is dpkg's output even without --diff
// (ferry installs the file with apt-get).
var aptSkip = []string{"stdout", "stderr", "stdout_lines", "stderr_lines", "cache_update_time", "start", "end", "delta",
	"diff@a local .deb whose dependency comes from the repository"}

// converge runs playbook with --check, then twice for real, with ferry and
// ansible-playbook each on its own fresh root: recaps, the packages
// installed and every registered field must agree.
func converge(t *testing.T, playbook string) *rootfs.Host {
	ours, theirs := aptRoot(t, t.TempDir()), aptRoot(t, t.TempDir())
	playbook, _ = filepath.Abs(playbook)
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t), Skip: aptSkip,
		State: ansiblecmp.StateOf(ours, theirs, installed)}.Run(t)
	return ours
}

// TestAptAgainstAnsible: names, versions, latest, removal with purge, a
// local .deb with a dependency from the repository, a missing package and
// check_mode, compared with ansible-playbook.
func TestAptAgainstAnsible(t *testing.T) {
	ours := converge(t, "testdata/apt.yml")
	want := "ferry-dep 1.0 ii \nferry-hello 1.1 ii \nferry-local 1.0 ii \nferry-pin 1.0 ii \n"
	if got := installed(ours); got != want {
		t.Errorf("installed:\n%s\nwant:\n%s", got, want)
	}
}

// TestAptDiffAgainstAnsible: with --diff, apt's result holds apt-get's
// plan (diff.prepared) as Ansible's parse_diff cuts it, from the real
// run's output or the simulation's under --check (without --diff it is
// empty: TestAptAgainstAnsible).
func TestAptDiffAgainstAnsible(t *testing.T) {
	ours, theirs := aptRoot(t, t.TempDir()), aptRoot(t, t.TempDir())
	playbook, _ := filepath.Abs("testdata/apt-diff.yml")
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t), Skip: aptSkip, Diff: true,
		State: ansiblecmp.StateOf(ours, theirs, installed)}.Run(t)
}

// TestPackageAgainstAnsible: package runs apt on a Debian root, with apt's
// arguments, as ansible-playbook's package action does.
func TestPackageAgainstAnsible(t *testing.T) {
	converge(t, "testdata/package.yml")
}
