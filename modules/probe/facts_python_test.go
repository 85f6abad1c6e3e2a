package probe

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
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
	python := "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("ansible-core's python3 is missing: %v", err)
		}
		t.Skip("no /usr/bin/python3")
	}
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
