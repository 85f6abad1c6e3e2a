package textedit_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/internal/modtest"
	_ "github.com/ferry-sh/ferry/modules/textedit"
)

func write(t testing.TB, p, content string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Each edit over a real sshd: --check plans the change with its diff and
// leaves the file alone, the real run makes it, the second run changes
// nothing. A symbolic link is edited through (the link stays).
func TestEditsCheckRunAndRunAgain(t *testing.T) {
	h := modtest.SSHHost(t)
	dir := t.TempDir()
	real := filepath.Join(dir, "real.conf")
	link := filepath.Join(dir, "link.conf")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		module string
		args   map[string]any
		before string
		after  string
		msg    string
	}{
		{"lineinfile", map[string]any{"path": link, "regexp": "^port=", "line": "port=8080"}, "a\nport=80\nb\n", "a\nport=8080\nb\n", "line replaced"},
		{"lineinfile", map[string]any{"path": link, "line": "new", "insertbefore": "^b"}, "a\nb\n", "a\nnew\nb\n", "line added"},
		{"lineinfile", map[string]any{"path": link, "regexp": "^#", "state": "absent"}, "#x\na\n#y\n", "a\n", "2 line(s) removed"},
		{"lineinfile", map[string]any{"path": link, "line": "last"}, "no newline", "no newline\nlast\n", "line added"},
		{"blockinfile", map[string]any{"path": link, "block": "x=1\ny=2"}, "a\n", "a\n# BEGIN ANSIBLE MANAGED BLOCK\nx=1\ny=2\n# END ANSIBLE MANAGED BLOCK\n", "Block inserted"},
		{"blockinfile", map[string]any{"path": link, "state": "absent"}, "a\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\nb\n", "a\nb\n", "Block removed"},
		{"replace", map[string]any{"path": link, "regexp": `^(\w+) = (\d+)$`, "replace": `\1=\2`}, "a = 1\nb = x\nc = 3\n", "a=1\nb = x\nc=3\n", "2 replacements made"},
		{"ini_file", map[string]any{"path": link, "section": "db", "option": "port", "value": "5433"}, "[db]\n#port = 5432\n[web]\n", "[db]\nport = 5433\n[web]\n", "option changed"},
		{"ini_file", map[string]any{"path": link, "section": "web", "option": "listen", "values": []any{"80", "443"}}, "[db]\n\n", "[db]\n\n[web]\nlisten = 80\nlisten = 443\n", "section and option added"},
		{"ini_file", map[string]any{"path": link, "section": "db", "state": "absent"}, "top\n[db]\na=1\n[web]\n", "top\n[web]\n", "section removed"},
	}
	for _, c := range cases {
		t.Run(c.module+" "+c.msg, func(t *testing.T) {
			write(t, real, c.before)
			res, plan := modtest.MustRun(t, modtest.Checked(h), c.module, c.args)
			if len(plan) == 0 || read(t, real) != c.before || res.Msg != c.msg {
				t.Fatalf("check: plan %v, msg %q, file %q", plan, res.Msg, read(t, real))
			}
			if len(res.Diffs) != 1 || res.Diffs[0].Before != c.before || res.Diffs[0].After != c.after {
				t.Errorf("check diff = %+v", res.Diffs)
			}
			res, plan = modtest.MustRun(t, h, c.module, c.args)
			if len(plan) == 0 || read(t, real) != c.after || res.Msg != c.msg {
				t.Fatalf("run: plan %v, msg %q, file %q, want %q", plan, res.Msg, read(t, real), c.after)
			}
			if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
				t.Errorf("the link was replaced: %v %v", fi, err)
			}
			res, plan = modtest.MustRun(t, h, c.module, c.args)
			if again := map[string]string{"ini_file": "OK"}[c.module]; len(plan) != 0 || res.Msg != again {
				t.Errorf("second run: plan %v, msg %q", plan, res.Msg)
			}
		})
	}
}

// A validate command that refuses the new content leaves the file as it was
// and no partial file behind; backup keeps the old content; create makes
// the directories, but not in a dry run.
func TestValidateBackupCreate(t *testing.T) {
	h := modtest.SSHHost(t)
	dir := t.TempDir()
	f := filepath.Join(dir, "sudoers")
	write(t, f, "ok\n")
	_, _, err := modtest.Run(t, h, "lineinfile", map[string]any{"path": f, "line": "BAD", "validate": "sh -c '! grep -q BAD %s'"})
	if err == nil || !strings.Contains(err.Error(), "failed to validate: rc:1") {
		t.Errorf("validate: err = %v", err)
	}
	if entries, _ := os.ReadDir(dir); read(t, f) != "ok\n" || len(entries) != 1 {
		t.Errorf("after a failed validation: %q, %v", read(t, f), entries)
	}

	res, _ := modtest.MustRun(t, h, "replace", map[string]any{"path": f, "regexp": "ok", "replace": "fine", "backup": true, "mode": "0600"})
	backup, _ := res.Data["backup_file"].(string)
	if backup == "" || read(t, backup) != "ok\n" || read(t, f) != "fine\n" {
		t.Errorf("backup %q: %v", backup, res.Data)
	}
	if fi, _ := os.Stat(f); fi.Mode().Perm() != 0o600 || res.Msg != "1 replacements made and ownership, perms or SE linux context changed" {
		t.Errorf("mode %v, msg %q", fi.Mode(), res.Msg)
	}

	nested := filepath.Join(dir, "a", "b", "f")
	args := map[string]any{"path": nested, "line": "x", "create": true}
	if res, plan := modtest.MustRun(t, modtest.Checked(h), "lineinfile", args); len(plan) == 0 || res.Msg != "line added" {
		t.Errorf("check create: %v %q", plan, res.Msg)
	}
	if _, err := os.Stat(filepath.Join(dir, "a")); !os.IsNotExist(err) {
		t.Errorf("the dry run created a directory: %v", err)
	}
	modtest.MustRun(t, h, "lineinfile", args)
	if read(t, nested) != "x\n" {
		t.Errorf("created %q", read(t, nested))
	}
	res, _, _ = modtest.Run(t, h, "lineinfile", map[string]any{"path": filepath.Join(dir, "none"), "line": "x"})
	if !res.Failed || res.Data["rc"] != 257 {
		t.Errorf("missing file without create: %+v", res)
	}
}
