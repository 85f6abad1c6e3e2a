package hostcmd

import (
	"encoding/json"
	"os"
	"os/exec"
	"testing"
)

// TestLogSanitizeAsAnsible compares LogSanitize with ansible-core's own
// heuristic_log_sanitize on addresses git tasks use and on text around them.
func TestLogSanitizeAsAnsible(t *testing.T) {
	inputs := []string{
		"", "no at sign", "file:///srv/upstream.git", "ssh://git@127.0.0.1:1/x.git", "git@github.com:owner/repo.git",
		"https://user:secret@example.com/r.git", "/usr/bin/git ls-remote https://u:p@h/r -h HEAD",
		"a@b c://d:e@f g:h@i", "fatal: unable to access 'https://token@github.com/x/': 403", "@", "://@", ":@",
	}
	want := asAnsible(t, "from ansible.module_utils.basic import heuristic_log_sanitize as s\n"+
		"print(json.dumps([s(x) for x in json.loads(sys.argv[1])]))", inputs)
	for i, in := range inputs {
		if got := LogSanitize(in); got != want[i] {
			t.Errorf("LogSanitize(%q) = %q, Ansible's %q", in, got, want[i])
		}
	}
}

// TestCleanArgsAsAnsible compares CleanArgs with ansible-core's own
// AnsibleModule._clean_args on command lines with password options.
func TestCleanArgsAsAnsible(t *testing.T) {
	inputs := [][]string{
		{"svn", "--non-interactive", "--username", "me", "--password-from-stdin", "export", "-r", "HEAD", "file:///r", "/d"},
		{"tool", "--password=hunter2", "-passwd", "x", "pass", "y", "https://u:p@h/r", "it's"},
		{"git", "ls-remote", "https://token@example.com/r.git", "--pass"},
	}
	want := asAnsible(t, "import types\nfrom ansible.module_utils.basic import AnsibleModule as M\n"+
		"print(json.dumps([M._clean_args(types.SimpleNamespace(_clean=None, no_log_values=set()), a) for a in json.loads(sys.argv[1])]))", inputs)
	for i, in := range inputs {
		if got := CleanArgs(in); got != want[i] {
			t.Errorf("CleanArgs(%q) = %q, Ansible's %q", in, got, want[i])
		}
	}
}

// asAnsible runs script with ansible-core's python, the JSON of inputs as
// its argument, and returns the list of strings it prints as JSON. Without
// ansible-core the test skips, or fails under CI.
func asAnsible(t *testing.T, script string, inputs any) []string {
	t.Helper()
	data, _ := json.Marshal(inputs)
	out, err := exec.Command("/usr/bin/python3", "-c", "import json,sys\n"+script, string(data)).Output()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("ansible-core's python: %v", err)
		}
		t.Skipf("ansible-core's python: %v", err)
	}
	var want []string
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	return want
}
