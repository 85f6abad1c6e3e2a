package pkgmgr_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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

// TestAptAgainstAnsible runs testdata/apt.yml with --check, then twice for
// real, with ferry and with ansible-playbook, each on its own fresh root:
// the recaps, the packages installed and every task's registered fields
// must agree.
func TestAptAgainstAnsible(t *testing.T) {
	ours, theirs := aptRoot(t, t.TempDir()), aptRoot(t, t.TempDir())
	playbook, _ := filepath.Abs("testdata/apt.yml")
	before := installed(ours)
	for i, check := range []bool{true, false, false} {
		f := ansiblecmp.Ferry(t, ansiblecmp.Run{Playbook: playbook, Inventory: ours.Inventory(t), Check: check})
		a, ran := ansiblecmp.Ansible(t, ansiblecmp.Run{Playbook: playbook, Inventory: theirs.Inventory(t), Check: check})
		if !ran {
			return
		}
		ansiblecmp.SameRecap(t, f, a)
		sameResults(t, f, a)
		if got, want := installed(ours), installed(theirs); got != want {
			t.Fatalf("run %d: packages differ\nferry:\n%s\nansible:\n%s", i+1, got, want)
		}
		if check && installed(ours) != before {
			t.Fatalf("check mode installed packages:\n%s", installed(ours))
		}
		if t.Failed() {
			t.FailNow()
		}
		t.Logf("run %d (check %v): %+v", i+1, check, f.Stats)
	}
	want := "ferry-dep 1.0 ii \nferry-hello 1.1 ii \nferry-local 1.0 ii \nferry-pin 1.0 ii \n"
	if got := installed(ours); got != want {
		t.Errorf("installed:\n%s\nwant:\n%s", got, want)
	}
}

// sameResults compares every task's registered fields, leaving out what
// cannot be the same (apt's own output, timestamps) and what only Ansible's
// plumbing adds.
func sameResults(t *testing.T, f, a ansiblecmp.Outcome) {
	t.Helper()
	skip := map[string]bool{"stdout": true, "stderr": true, "stdout_lines": true, "stderr_lines": true, "msg": true,
		"cache_update_time": true, "invocation": true, "diff": true, "warnings": true, "deprecations": true, "_ansible_no_log": true, "exception": true}
	for _, task := range a.Tasks {
		var fields []string
		for _, k := range slices.Sorted(maps.Keys(task.Result)) {
			if !skip[k] && !(k == "failed" && task.Result[k] == false) { // ferry's runner registers no failed: false
				fields = append(fields, k)
			}
		}
		if task.Result["failed"] == true || !strings.Contains(fmt.Sprint(task.Result["msg"]), "\n") {
			fields = append(fields, "msg") // a message, not apt-get's output
		}
		ansiblecmp.SameFields(t, f, a, task.Name, task.Host, fields...)
		for k := range f.Result(t, task.Name, task.Host) {
			if _, ok := task.Result[k]; !ok && !skip[k] {
				t.Errorf("task %q: ferry registers %s, ansible does not", task.Name, k)
			}
		}
	}
}

// TestPackageAgainstAnsible: package runs apt on a Debian root, with apt's
// arguments, as ansible-playbook's package action does; twice for real.
func TestPackageAgainstAnsible(t *testing.T) {
	ours, theirs := aptRoot(t, t.TempDir()), aptRoot(t, t.TempDir())
	playbook, _ := filepath.Abs("testdata/package.yml")
	for i := range 2 {
		f := ansiblecmp.Ferry(t, ansiblecmp.Run{Playbook: playbook, Inventory: ours.Inventory(t)})
		a, ran := ansiblecmp.Ansible(t, ansiblecmp.Run{Playbook: playbook, Inventory: theirs.Inventory(t)})
		if !ran {
			return
		}
		ansiblecmp.SameRecap(t, f, a)
		sameResults(t, f, a)
		if got, want := installed(ours), installed(theirs); got != want {
			t.Fatalf("run %d: packages differ\nferry:\n%s\nansible:\n%s", i+1, got, want)
		}
		t.Logf("run %d: %+v", i+1, f.Stats)
	}
}
