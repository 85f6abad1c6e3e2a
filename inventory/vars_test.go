package inventory

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/internal/rawtext"
)

// precedenceLayers are the nine layers of HostVars, lowest first, each with
// where its value is written in the fixture below.
var precedenceLayers = []string{
	"inventory [all:vars]",
	"inventory [web:vars]",
	"inventory group_vars/all",
	"playbook group_vars/all",
	"inventory group_vars/web",
	"playbook group_vars/web",
	"inventory host line",
	"inventory host_vars/h1",
	"playbook host_vars/h1",
}

// precedenceFixture writes an inventory and a playbook directory where the
// variable upto<k> is set in layers 1..k to the value "L<j>" of each layer j,
// so upto<k> must resolve to "L<k>". The playbook dumps them for the live
// comparison with ansible-playbook.
func precedenceFixture(t *testing.T) (inventoryFile, playbookDir string) {
	t.Helper()
	n := len(precedenceLayers)
	layer := make([]map[string]string, n)
	for j := range layer {
		layer[j] = map[string]string{}
		for k := j + 1; k <= n; k++ {
			layer[j][fmt.Sprintf("upto%d", k)] = fmt.Sprintf("L%d", j+1)
		}
	}
	ini := func(m map[string]string, sep string) string {
		var b strings.Builder
		for k, v := range m {
			fmt.Fprintf(&b, "%s=%s%s", k, v, sep)
		}
		return b.String()
	}
	yml := func(m map[string]string) string {
		var b strings.Builder
		for k, v := range m {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
		return b.String()
	}
	var names []string
	for k := 1; k <= n; k++ {
		names = append(names, fmt.Sprintf("upto%d", k))
	}
	var dump []string
	for _, name := range names {
		dump = append(dump, fmt.Sprintf("'%s': %s | default('unset')", name, name))
	}
	dir := writeFiles(t, map[string]string{
		"inv/hosts": "[web]\nh1 " + strings.TrimSpace(ini(layer[6], " ")) + "\nh2\n" +
			"[web:vars]\n" + ini(layer[1], "\n") + "[all:vars]\n" + ini(layer[0], "\n"),
		"inv/group_vars/all.yml":  yml(layer[2]),
		"play/group_vars/all.yml": yml(layer[3]),
		"inv/group_vars/web.yml":  yml(layer[4]),
		"play/group_vars/web.yml": yml(layer[5]),
		"inv/host_vars/h1.yml":    yml(layer[7]),
		"play/host_vars/h1.yml":   yml(layer[8]),
		"play/site.yml": "- hosts: all\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: \"{{ {" +
			strings.Join(dump, ", ") + "} }}\"\n",
	})
	return filepath.Join(dir, "inv", "hosts"), filepath.Join(dir, "play")
}

func TestPrecedenceLayers(t *testing.T) {
	invFile, playDir := precedenceFixture(t)
	inv, err := Load(invFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := inv.AddVarsDir(playDir); err != nil {
		t.Fatal(err)
	}
	h1 := inv.HostVars("h1")
	for k := 1; k <= len(precedenceLayers); k++ {
		name := fmt.Sprintf("upto%d", k)
		if want := fmt.Sprintf("L%d", k); h1[name] != want {
			t.Errorf("h1 %s = %v, want %s (%s must win over the layers below it)", name, h1[name], want, precedenceLayers[k-1])
		}
	}
	// h2 has no host-level vars: the group layers decide.
	h2 := inv.HostVars("h2")
	if h2["upto6"] != "L6" || h2["upto9"] != "L6" {
		t.Errorf("h2 upto6=%v upto9=%v, want L6 for both", h2["upto6"], h2["upto9"])
	}
}

// TestPrecedenceMatchesLiveAnsible runs the fixture's playbook with
// ansible-playbook, which also loads the playbook's group_vars/host_vars. The
// results are read from ansible-core's own `tree` callback (one JSON file per
// host), not the `json` stdout callback: that one lives in the ansible.posix
// collection, which Debian's ansible-core does not ship.
func TestPrecedenceMatchesLiveAnsible(t *testing.T) {
	bin, err := exec.LookPath("ansible-playbook")
	if err != nil {
		t.Skip("ansible-playbook is not on PATH (apt-get install ansible-core); TestPrecedenceLayers covers the same order")
	}
	invFile, playDir := precedenceFixture(t)
	tree := t.TempDir()
	cmd := exec.Command(bin, "-i", invFile, filepath.Join(playDir, "site.yml"))
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "ANSIBLE_CALLBACKS_ENABLED=tree", "ANSIBLE_CALLBACK_TREE_DIR="+tree,
		"ANSIBLE_HOME="+t.TempDir(), "ANSIBLE_LOCAL_TEMP="+t.TempDir(), "ANSIBLE_LOCALHOST_WARNING=false")
	if out, err := cmd.Output(); err != nil {
		t.Fatalf("ansible-playbook: %v\n%s\n%s", err, out, errOut(err))
	}
	inv, err := Load(invFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := inv.AddVarsDir(playDir); err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"h1", "h2"} {
		ansible := ansibleDebugMsg(t, filepath.Join(tree, host))
		if host == "h1" && len(ansible) != len(precedenceLayers) {
			t.Fatalf("ansible-playbook reported %v for h1, want its %d variables", ansible, len(precedenceLayers))
		}
		got := map[string]string{}
		for k := range ansible {
			got[k] = fmt.Sprint(inv.HostVars(host)[k])
		}
		if !reflect.DeepEqual(got, ansible) {
			t.Errorf("%s: ferry %v, ansible %v", host, got, ansible)
		}
	}
}

// ansibleDebugMsg reads the msg of the debug result the tree callback wrote.
func ansibleDebugMsg(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the tree callback wrote no result: %v", err)
	}
	var result struct {
		Msg map[string]string `json:"msg"`
	}
	if err := json.Unmarshal(data, &result); err != nil {
		t.Fatalf("unexpected tree callback output (%v):\n%s", err, data)
	}
	return result.Msg
}

func TestHashBehaviourReplace(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"hosts":                  "[web]\nh1\n",
		"group_vars/all.yml":     "cfg: {a: 1, b: 2}\n",
		"group_vars/web/1.yml":   "cfg: {a: 10}\n",
		"group_vars/web/2.yml":   "other: x\n",
		"group_vars/web/sub/3":   "deep: true\n",
		"group_vars/web/skip.md": "ignored: true\n",
		"group_vars/web/old~":    "ignored: true\n",
	})
	inv, err := Load(filepath.Join(dir, "hosts"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"cfg": map[string]any{"a": 10}, "other": "x", "deep": true}
	if got := inv.HostVars("h1"); !reflect.DeepEqual(got, want) {
		t.Errorf("HostVars = %v, want %v (dicts replace, not merge)", got, want)
	}
}

func TestHostVarsIsACopy(t *testing.T) {
	inv := loadString(t, "hosts", "h1 a=1\n")
	inv.HostVars("h1")["a"] = 2
	if inv.HostVars("h1")["a"] != 1 {
		t.Error("changing the returned map changed the cached variables")
	}
	if inv.HostVars("nope") != nil {
		t.Error("HostVars of an unknown host must be nil")
	}
}

func TestSecrets(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"inv.yml": "all:\n  hosts:\n    h1:\n      db_password: !secret hunter2\n      url: postgres://app:hunter2@db/app\n" +
			"      tpl: !unsafe '{{ raw }}'\n",
		"group_vars/all.yml": "api_token: !secret tok-123\n",
	})
	inv, err := Load(filepath.Join(dir, "inv.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := inv.Secrets(); !reflect.DeepEqual(got, []string{"hunter2", "tok-123"}) {
		t.Errorf("Secrets() = %v", got)
	}
	vars := inv.HostVars("h1")
	if vars["db_password"] != "hunter2" || vars["api_token"] != "tok-123" || vars["tpl"] != rawtext.Text("{{ raw }}") {
		t.Errorf("HostVars keeps secret values as plain strings, got %v", vars)
	}
	for what, out := range map[string]func() ([]byte, error){
		"ListJSON": inv.ListJSON,
		"HostJSON": func() ([]byte, error) { return inv.HostJSON("h1") },
	} {
		b, err := out()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "hunter2") || strings.Contains(string(b), "tok-123") {
			t.Errorf("%s prints a secret:\n%s", what, b)
		}
		if !strings.Contains(string(b), `"postgres://app:********@db/app"`) {
			t.Errorf("%s does not mask the secret inside a longer value:\n%s", what, b)
		}
	}
	dir2 := writeFiles(t, map[string]string{"hosts": "[web]\nh1\n", "playbook/host_vars/h1.yml": "k: !secret play-secret\n"})
	inv2, err := Load(filepath.Join(dir2, "hosts"))
	if err != nil {
		t.Fatal(err)
	}
	if err := inv2.AddVarsDir(filepath.Join(dir2, "playbook")); err != nil {
		t.Fatal(err)
	}
	if got := inv2.Secrets(); !reflect.DeepEqual(got, []string{"play-secret"}) {
		t.Errorf("Secrets() after AddVarsDir = %v", got)
	}
}

func TestGraph(t *testing.T) {
	inv := loadString(t, "hosts", "solo\n[web]\nw1\nw2\n[db]\nd1\n[prod:children]\nweb\ndb\n[empty]\n")
	want := strings.Join([]string{
		"@all:",
		"  |--@ungrouped:",
		"  |  |--solo",
		"  |--@prod:",
		"  |  |--@web:",
		"  |  |  |--w1",
		"  |  |  |--w2",
		"  |  |--@db:",
		"  |  |  |--d1",
		"  |--@empty:",
	}, "\n")
	if got, err := inv.Graph(""); err != nil || got != want {
		t.Errorf("Graph() =\n%s\nwant\n%s", got, want)
	}
	if got, _ := inv.Graph("prod"); !strings.HasPrefix(got, "@prod:\n  |--@web:\n  |  |--w1") {
		t.Errorf("Graph(prod) =\n%s", got)
	}
	if _, err := inv.Graph("prd"); err == nil || err.Error() != "--graph needs a group name; \"prd\" is not a group did you mean `prod`?" {
		t.Errorf("Graph(prd) error = %v", err)
	}
	if _, err := inv.HostJSON("w3"); err == nil || err.Error() != "host \"w3\" is not in the inventory did you mean `w1`?" {
		t.Errorf("HostJSON(w3) error = %v", err)
	}
}

func TestDirectorySourceIgnoresLikeAnsible(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"inv/a":                 "[web]\nw1\n",
		"inv/b.yml":             "all:\n  hosts:\n    y1:\n",
		"inv/skip.ini":          "[x]\nini1\n",
		"inv/skip.cfg":          "cfg1\n",
		"inv/notes.txt":         "txt1\n",
		"inv/.hidden":           "hidden1\n",
		"inv/backup~":           "backup1\n",
		"inv/nested/c":          "n1\n",
		"inv/group_vars/web":    "gv: 1\n",
		"inv/host_vars/w1.yaml": "hv: 2\n",
	})
	inv, err := Load(filepath.Join(dir, "inv"))
	if err != nil {
		t.Fatal(err)
	}
	if got := hostNamesOf(inv.Hosts()); !reflect.DeepEqual(got, []string{"y1", "n1", "w1"}) {
		t.Errorf("hosts = %v", got)
	}
	if got := inv.HostVars("w1"); !reflect.DeepEqual(got, map[string]any{"gv": 1, "hv": 2}) {
		t.Errorf("w1 vars = %v", got)
	}
}

func errOut(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

func TestConcurrentUse(t *testing.T) {
	inv := loadPatterns(t)
	done := make(chan struct{})
	for i := 0; i < 4; i++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for _, h := range inv.Hosts() {
				inv.HostVars(h.Name)
			}
			if _, err := inv.Match("web:&prod"); err != nil {
				t.Error(err)
			}
			inv.Match("localhost")
			inv.HostVars("localhost")
		}()
	}
	for i := 0; i < 4; i++ {
		<-done
	}
}
