package textedit_test

import (
	"path/filepath"
	"testing"

	"os"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/modtest"
	"github.com/ferry-sh/ferry/internal/sshtest"
)

// iniFiles are the files the ini_file comparison starts from: comments,
// a commented option, an option given twice, one without value, an empty
// section, no newline at the end; and a byte order mark with CRLF ends.
func iniFiles(t testing.TB, workdir string) {
	write(t, filepath.Join(workdir, "app.ini"), "; top comment\nglobal = 1\n\n[db]\nhost = localhost\n#port = 5432\n\n; end of db\n\n"+
		"[web]\nlisten=80\nlisten = 81\nname\n[empty]\n[last]\nx = 1")
	write(t, filepath.Join(workdir, "bom.ini"), "\ufeff[a]\r\nb = 1\r\n")
}

// ini_file against community.general's 6.6.9 over a real sshd, under
// --check and for real, with --diff: the same recap and every registered
// field the same (the files' bytes too, read back by the playbook's last
// tasks). Each edit runs twice in the playbook: the second must be ok.
// ansible-playbook runs live where the collection is installed
// (tools/collections/install.sh) and is recorded in testdata; elsewhere
// ferry is compared with the recording.
func TestIniFileAgainstAnsible(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	playbook, _ := filepath.Abs(filepath.Join("testdata", "ini_file.yml"))
	for _, check := range []bool{true, false} {
		r := ansiblecmp.Run{Playbook: playbook, Server: srv, Hosts: map[string]int{"node": 0}, Check: check, Diff: true, Setup: iniFiles}
		golden := filepath.Join("testdata", "ini_file.ansible.json")
		if check {
			golden = filepath.Join("testdata", "ini_file.check.ansible.json")
		}
		f := ansiblecmp.Ferry(t, r)
		a := ansiblecmp.Reference(t, r, golden, "community.general")
		ansiblecmp.SameRecap(t, f, a)
		ansiblecmp.AllFields(t, f, a)
	}
}

// What ini_file refuses fails the task with Ansible's message and touches
// nothing: no value to set, values without an option (Ansible's crashes),
// a missing file with create false.
func TestIniFileRefusals(t *testing.T) {
	h := modtest.SSHHost(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "a.ini")
	write(t, conf, "[db]\nhost = x\n")
	cases := []struct {
		args map[string]any
		msg  string
	}{
		{map[string]any{"path": conf, "section": "db", "option": "host"}, "Parameter 'value(s)' must be defined if state=present and allow_no_value=False."},
		{map[string]any{"path": conf, "section": "db", "values": []any{"a"}}, "option is needed with value or values: name the option the values belong to"},
		{map[string]any{"path": filepath.Join(dir, "none.ini"), "section": "a", "option": "b", "value": "c", "create": false}, "Destination " + dir + "/none.ini does not exist!"},
	}
	for _, c := range cases {
		res, plan, err := modtest.Run(t, h, "ini_file", c.args)
		if err != nil || !res.Failed || res.Msg != c.msg || len(plan) != 0 {
			t.Errorf("%v: failed %v, msg %q, plan %v, err %v", c.args, res.Failed, res.Msg, plan, err)
		}
	}
	if entries, _ := os.ReadDir(dir); read(t, conf) != "[db]\nhost = x\n" || len(entries) != 1 {
		t.Errorf("a refused task changed the directory: %q, %v", read(t, conf), entries)
	}
}
