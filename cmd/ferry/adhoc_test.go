package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// ferry adhoc prints what `ansible` prints for the same command, and exits
// with the same code.
func TestAdHocMatchesAnsible(t *testing.T) {
	ansible, err := exec.LookPath("ansible")
	if err != nil {
		t.Skip("ansible is not installed (make deps installs it)")
	}
	dir := t.TempDir()
	inv := filepath.Join(dir, "hosts.ini")
	must(t, os.WriteFile(inv, []byte("[web]\nweb1 ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n"), 0o644))
	for _, args := range [][]string{
		{"-m", "shell", "-a", "echo hi; echo err >&2"},
		{"-a", "echo default module"},
		{"-m", "command", "-a", "false"},
		{"-m", "debug", "-a", "msg=hello"},
		{"-m", "file", "-a", "path=" + dir + " state=directory", "--check"},
	} {
		full := append([]string{"web", "-i", inv}, args...)
		code, got, stderr := ferry(t, append([]string{"adhoc"}, full...)...)
		var want bytes.Buffer
		cmd := exec.Command(ansible, full...)
		cmd.Stdout = &want
		wantCode := 0
		if err := cmd.Run(); err != nil {
			ee, ok := err.(*exec.ExitError)
			if !ok {
				t.Fatal(err)
			}
			wantCode = ee.ExitCode()
		}
		if code != wantCode || firstLine(got) != firstLine(want.String()) {
			t.Errorf("%v: exit %d (ansible %d)\nferry:\n%s%s\nansible:\n%s", args, code, wantCode, got, stderr, want.String())
		}
		if !strings.Contains(args[len(args)-1], "--check") && !strings.Contains(args[1], "file") && got != want.String() {
			t.Errorf("%v: output differs\nferry:\n%s\nansible:\n%s", args, got, want.String())
		}
	}
}

func firstLine(s string) string { line, _, _ := strings.Cut(s, "\n"); return line }

func TestAdHocUnknownModule(t *testing.T) {
	_, inv := site(t, "")
	code, _, stderr := ferry(t, "adhoc", "web", "-i", inv, "-m", "nosuch")
	if code != 5 || !strings.Contains(stderr, "-m nosuch: no such module") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}
