package probe

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// pythonParsers runs, in ansible-core's own interpreter, what 2.14's local
// and cmdline collectors do with a text (local.py's JSON-then-configparser
// read, cmdline.py's shlex.split(posix=False) parses, dns.py's and lsb.py's
// line walks); each case prints one JSON line.
const pythonParsers = `
import configparser, json, shlex, sys
from io import StringIO
def local(out):
    try:
        return json.loads(out)
    except ValueError:
        cp = configparser.ConfigParser()
        try:
            cp.read_file(StringIO(out))
        except configparser.Error:
            return "error loading facts as JSON or ini - please check content: F"
        fact = {}
        try:
            for sect in cp.sections():
                fact[sect] = {opt: cp.get(sect, opt) for opt in cp.options(sect)}
        except Exception as e:
            return {"collector fails": str(e)}
        return fact
def cmdline(data, lists):
    d = {}
    try:
        for piece in shlex.split(data, posix=False):
            item = piece.split('=', 1)
            if len(item) == 1:
                d[item[0]] = True
            elif lists and item[0] in d:
                d[item[0]] = (d[item[0]] if isinstance(d[item[0]], list) else [d[item[0]]]) + [item[1]]
            else:
                d[item[0]] = item[1]
    except ValueError:
        pass
    return d
for case in json.load(sys.stdin):
    kind, text = case
    if kind == "local":
        print(json.dumps(local(text)))
    else:
        print(json.dumps([cmdline(text, False), cmdline(text, True)]))
`

// TestParsersAsPython: ferry's INI, JSON and kernel command line readers
// give what Python's configparser, json and shlex give 2.14's collectors,
// case by case, over the corners (continuations, DEFAULT, interpolation,
// duplicates, quotes).
func TestParsersAsPython(t *testing.T) {
	python := ansiblePython(t)
	cases := [][2]string{
		{"local", `{"a": 1, "b": [1.5, "x", null, true], "c": {"d": -2}}`},
		{"local", `  [1, 2]  `},
		{"local", "[s]\na = 1\nB : two words \n  continued\n\n  after blank\nc=\n"},
		{"local", "[DEFAULT]\nroot = /r\n[x]\np = %(root)s/p\nq = %(p)s/q\npct = 5%%\n[y]\n"},
		{"local", "[s]\na = %(nope)s\n"},
		{"local", "[s]\na = 5%\n"},
		{"local", "[s]\na = 1\n[s]\nb = 2\n"},
		{"local", "[s]\na = 1\nA = 2\n"},
		{"local", "no section\n"},
		{"local", "[s]\njust a line\n"},
		{"local", "[s]\n=value\n"},
		{"local", "# c\n; c\n[s]\n  # indented comment\nk = v ; not a comment\n"},
		{"local", "[a] trailing\nk: v\n[b]]\nk = w\n"},
		{"local", ""},
		{"local", "[s]\nk = v\n\n\n"},
		{"cmdline", `BOOT_IMAGE=/vmlinuz root=UUID=abc ro quiet console=tty0 console=ttyS0,115200 rd.lvm.lv=a rd.lvm.lv=b`},
		{"cmdline", `a="b c" "d e"f g'h i' x=1`},
		{"cmdline", `a "unclosed b`},
		{"cmdline", "  tabs\tand\nlines  "},
	}
	in, _ := json.Marshal(cases)
	cmd := exec.Command(python, "-c", pythonParsers)
	cmd.Stdin = bytesReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	want := splitJSONLines(t, out)
	if len(want) != len(cases) {
		t.Fatalf("python gave %d answers for %d cases", len(want), len(cases))
	}
	for i, c := range cases {
		var got any
		if c[0] == "local" {
			fact, _, err := parseLocalFact(c[1], "F")
			got = fact
			if err != nil {
				got = map[string]any{"collector fails": pyError(err)}
			}
		} else {
			got = []any{cmdlineFacts(c[1], false), cmdlineFacts(c[1], true)}
		}
		if g, w := asJSON(got), asJSON(want[i]); g != w {
			t.Errorf("%s %q:\nferry  %s\npython %s", c[0], c[1], g, w)
		}
	}
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

func splitJSONLines(t *testing.T, out []byte) []any {
	var all []any
	for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		var v any
		if err := json.Unmarshal(line, &v); err != nil {
			t.Fatalf("python printed %q: %v", line, err)
		}
		all = append(all, v)
	}
	return all
}

func asJSON(v any) string {
	b, _ := json.Marshal(v)
	var norm any
	json.Unmarshal(b, &norm)
	b, _ = json.Marshal(norm)
	return string(b)
}

func pyError(err error) string { return err.Error() }

// pythonDistFiles runs 2.14's DistributionFiles.process_dist_files over
// made-up files (a dict of path to contents per case), a host without
// dpkg, and prints the distribution_file_ facts it finds.
const pythonDistFiles = `
import json, sys
from ansible.module_utils.facts.system import distribution as d
from ansible.module_utils.facts.utils import get_file_content
class Module:
    def get_bin_path(self, *a, **k): return None
    def run_command(self, *a, **k): return 1, '', ''
    def debug(self, *a, **k): pass
for case in json.load(sys.stdin):
    files, os_id = case["files"], case["id"]
    df = d.DistributionFiles(Module())
    df._get_dist_file_content = lambda path, allow_empty=False: (
        (True, files[path].strip() or None) if path in files and (allow_empty or files[path]) else (False, None))
    df._guess_distribution = lambda: {"distribution": "NA", "distribution_version": "NA",
        "distribution_release": "NA", "distribution_major_version": "NA"}
    d.get_distribution = lambda: os_id.capitalize()
    out = df.process_dist_files()
    print(json.dumps({k: out[k] for k in out if k.startswith("distribution_file_") and k != "distribution_file_search_string"}))
`

// TestDistributionFilesAsPython: the distribution file ferry names
// (distribution_file_path, _variety, _parsed) is the one 2.14's
// process_dist_files takes for the files of the families playbooks meet.
func TestDistributionFilesAsPython(t *testing.T) {
	python := ansiblePython(t)
	osRelease := func(name, id string) string { return "NAME=\"" + name + "\"\nID=" + id + "\nVERSION_ID=\"1\"\n" }
	cases := []struct {
		Files map[string]string `json:"files"`
		ID    string            `json:"id"`
	}{
		{map[string]string{"/etc/os-release": osRelease("Debian GNU/Linux", "debian"), "/etc/debian_version": "12.5"}, "debian"},
		{map[string]string{"/etc/os-release": osRelease("Ubuntu", "ubuntu"), "/etc/lsb-release": "DISTRIB_ID=Ubuntu\n"}, "ubuntu"},
		{map[string]string{"/etc/os-release": osRelease("Rocky Linux", "rocky"), "/etc/redhat-release": "Rocky Linux release 9.3 (Blue Onyx)\n",
			"/etc/system-release": "Rocky Linux release 9.3 (Blue Onyx)\n"}, "rocky"},
		{map[string]string{"/etc/centos-release": "CentOS Linux release 7.9.2009 (Core)\n", "/etc/redhat-release": "CentOS Linux release 7.9.2009 (Core)\n"}, "centos"},
		{map[string]string{"/etc/centos-release": "CentOS Stream release 9\n", "/etc/redhat-release": "CentOS Stream release 9\n"}, "centos"},
		{map[string]string{"/etc/oracle-release": "Oracle Linux Server release 8.9\n", "/etc/redhat-release": "Red Hat Enterprise Linux release 8.9\n"}, "ol"},
		{map[string]string{"/etc/os-release": osRelease("Amazon Linux", "amzn"), "/etc/system-release": "Amazon Linux release 2023\n"}, "amzn"},
		{map[string]string{"/etc/os-release": osRelease("openSUSE Leap", "opensuse-leap")}, "opensuse-leap"},
		{map[string]string{"/etc/os-release": osRelease("Alpine Linux", "alpine"), "/etc/alpine-release": "3.19.1\n"}, "alpine"},
		{map[string]string{"/etc/os-release": osRelease("Arch Linux", "arch"), "/etc/arch-release": ""}, "arch"},
		{map[string]string{"/etc/os-release": osRelease("Arch Linux", "arch")}, "arch"},
		{map[string]string{"/etc/os-release": osRelease("Fedora Linux", "fedora"), "/etc/redhat-release": "Fedora release 39 (Thirty Nine)\n"}, "fedora"},
		{map[string]string{"/etc/os-release": osRelease("Linux Mint", "linuxmint")}, "linuxmint"},
		{map[string]string{"/etc/os-release": osRelease("Something Else", "else"), "/etc/redhat-release": ""}, "else"},
		{map[string]string{"/etc/os-release": osRelease("Flatcar Container Linux", "flatcar")}, "flatcar"},
	}
	in, _ := json.Marshal(cases)
	cmd := exec.Command(python, "-c", pythonDistFiles)
	cmd.Stdin = bytesReader(in)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	want := splitJSONLines(t, out)
	if len(want) != len(cases) {
		t.Fatalf("python gave %d answers for %d cases", len(want), len(cases))
	}
	for i, c := range cases {
		g := &gathered{raw: map[string]string{"os_id": c.ID}, multi: map[string][]string{}}
		for path, text := range c.Files {
			g.multi["dist"] = append(g.multi["dist"], path+" "+strconv.Itoa(len(text))+" "+base64.StdEncoding.EncodeToString([]byte(text)))
		}
		facts := map[string]any{}
		g.distFileFacts(facts)
		got := map[string]any{}
		for k, v := range facts {
			got[strings.TrimPrefix(k, "ansible_")] = v
		}
		if g, w := asJSON(got), asJSON(want[i]); g != w {
			t.Errorf("%v:\nferry  %s\npython %s", c.Files, g, w)
		}
	}
}

// ansiblePython is ansible-core's interpreter; without it the test skips,
// or fails under CI.
func ansiblePython(t *testing.T) string {
	python := "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import ansible").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("ansible-core's python3 is missing: %v", err)
		}
		t.Skip("no ansible-core in /usr/bin/python3")
	}
	return python
}

// pythonLVM runs 2.14's LinuxHardware.get_lvm_facts as root with vgs, lvs
// and pvs printing the case's lines.
const pythonLVM = `
import json, os, sys
from ansible.module_utils.facts.hardware.linux import LinuxHardware
case = json.load(sys.stdin)
class Module:
    def get_bin_path(self, name, *a, **k): return "/sbin/" + name
    def run_command(self, cmd, *a, **k): return 0, case[cmd.split()[0][len("/sbin/"):]], ""
os.getuid = lambda: 0
print(json.dumps(LinuxHardware(Module()).get_lvm_facts()))
`

// TestLVMAsPython: ferry reads vgs, lvs and pvs as 2.14's get_lvm_facts.
func TestLVMAsPython(t *testing.T) {
	python := ansiblePython(t)
	lists := map[string]string{
		"vgs": "  vg0,1,2,0,wz--n-,99.50,10.25\n  data,2,1,0,wz--n-,200.00,0\n",
		"lvs": "  root,vg0,-wi-ao----,40.00,,,,,,,\n  swap,vg0,-wi-ao----,4.00,,,,,,,\n  big,data,-wi-a-----,200.00,,,,,,,\n",
		"pvs": "  /dev/sda2,vg0,lvm2,a--,99.50,10.25\n  /dev/sdb,data,lvm2,a--,100.00,0\n",
	}
	in, _ := json.Marshal(lists)
	cmd := exec.Command(python, "-c", pythonLVM)
	cmd.Stdin = bytesReader(in)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	g := &gathered{raw: map[string]string{"lvm": "1"}}
	for k, v := range lists {
		g.raw["lvm_"+k] = base64.StdEncoding.EncodeToString([]byte(v))
	}
	facts := map[string]any{}
	g.lvmFacts(facts)
	if got, want := asJSON(map[string]any{"lvm": facts["ansible_lvm"]}), asJSON(splitJSONLines(t, out)[0]); got != want {
		t.Errorf("ferry  %s\npython %s", got, want)
	}
}
