package pip_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/rootfs"
)

// wheel writes a pure-Python wheel of name and version into dir, as pip
// wants one: a module and the dist-info's METADATA, WHEEL and RECORD.
func wheel(t *testing.T, dir, name, version string) {
	t.Helper()
	dist := strings.ReplaceAll(name, "-", "_")
	info := dist + "-" + version + ".dist-info/"
	files := [][2]string{
		{dist + "/__init__.py", fmt.Sprintf("__version__ = %q\n", version)},
		{info + "METADATA", fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\n", name, version)},
		{info + "WHEEL", "Wheel-Version: 1.0\nGenerator: ferry-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
	}
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	var record strings.Builder
	for _, f := range files {
		w, err := z.Create(f[0])
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(f[1]))
		sum := sha256.Sum256([]byte(f[1]))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", f[0], base64.RawURLEncoding.EncodeToString(sum[:]), len(f[1]))
	}
	record.WriteString(info + "RECORD,,\n")
	w, err := z.Create(info + "RECORD")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(record.String()))
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("%s-%s-py3-none-any.whl", dist, version))
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fakeVirtualenv stands in for virtualenv, which Debian's python3-venv
// does not bring: its --help names --no-site-packages, and it keeps the
// arguments pip.py gave it beside the virtualenv. It makes the virtualenv
// quickly: venv without pip (whose ensurepip takes seconds), seeing the
// system's pip, which bin/pip3 runs.
const fakeVirtualenv = `#!/bin/sh
if [ "$1" = --help ]; then printf 'usage: virtualenv [options] DEST\n  --no-site-packages\n  --system-site-packages\n  -p PYTHON\n'; exit 0; fi
for a; do dest=$a; done
python3 -m venv --without-pip --system-site-packages "$dest" || exit 1
printf '#!/bin/sh\nexec %s/bin/python -m pip "$@"\n' "$dest" > "$dest/bin/pip3" && chmod +x "$dest/bin/pip3"
echo "$*" > "$dest/args"
`

// pipRoot is a fresh root whose pip finds only the test's wheels.
func pipRoot(t *testing.T) *rootfs.Host {
	h := rootfs.Start(t)
	dir := h.Path("/srv/wheels")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, w := range [][2]string{{"ferry-hello", "1.0"}, {"ferry-hello", "1.1"}, {"ferry-extra", "1.0"}, {"ferry-req", "1.0"}} {
		wheel(t, dir, w[0], w[1])
	}
	files := map[string]string{
		"/etc/pip.conf":                  "[global]\nno-index = true\nfind-links = /srv/wheels\n",
		"/srv/requirements.txt":          "ferry-req==1.0\n",
		"/usr/local/bin/fake-virtualenv": fakeVirtualenv,
	}
	for p, content := range files {
		if err := os.WriteFile(h.Path(p), []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// packages lists the test's packages in each virtualenv, the mode of a
// file installed under umask 0077, and the virtualenv commands' arguments.
func packages(h *rootfs.Host) string {
	out, _ := h.Try(`for v in /opt/venv /opt/venv2 /root/venv4 /opt/venv5 /opt/venv6; do [ -x $v/bin/pip3 ] || continue; echo "$v:"; $v/bin/pip3 list --format=freeze 2>&1 | grep '^ferry'; cat $v/args 2>/dev/null; done
stat -c '%n %a' /opt/venv2/lib/python3*/site-packages/ferry_extra/__init__.py 2>/dev/null; true`)
	return out
}

// TestPipAgainstAnsible runs testdata/pip.yml with --check, then twice for
// real, with ferry and ansible-playbook on a fresh root each: recaps, every
// registered field (pip's own output included) and the packages installed
// must agree.
func TestPipAgainstAnsible(t *testing.T) {
	ours, theirs := pipRoot(t), pipRoot(t)
	playbook, _ := filepath.Abs("testdata/pip.yml")
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t),
		State: ansiblecmp.StateOf(ours, theirs, packages)}.Run(t)
	want := "/opt/venv:\nferry-hello==1.1\nferry-req==1.0\n/opt/venv2:\nferry-extra==1.0\n--no-site-packages -p/usr/bin/python3 /opt/venv2\n"
	if got := packages(ours); !strings.HasPrefix(got, want) {
		t.Errorf("installed:\n%s\nwant:\n%s", got, want)
	}
}
