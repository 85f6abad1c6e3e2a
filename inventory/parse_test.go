package inventory

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/internal/rawtext"
)

// writeFiles creates files (path -> content) under a temporary directory and
// returns the directory.
func writeFiles(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// loadString loads one inventory file called name holding content.
func loadString(t testing.TB, name, content string) *Inventory {
	t.Helper()
	dir := writeFiles(t, map[string]string{name: content})
	inv, err := Load(filepath.Join(dir, name))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return inv
}

// loadErr loads content as file name (relative to a temporary working
// directory, so that messages show the short name) and returns the error.
func loadErr(t *testing.T, name, content string) string {
	t.Helper()
	dir := writeFiles(t, map[string]string{name: content})
	t.Chdir(dir)
	_, err := Load(name)
	if err == nil {
		t.Fatalf("Load(%s) succeeded, want an error", name)
	}
	return err.Error()
}

// TestParseINIValue: the expectations are Python's ast.literal_eval results
// (what Ansible's ini plugin stores), strings where it fails.
func TestParseINIValue(t *testing.T) {
	for in, want := range map[string]any{
		"22": 22, "-3": -3, "+4": 4, "0x1F": 31, "0o17": 15, "0b101": 5, "1_000": 1000, "00": 0,
		"007": "007", "0_7": "0_7", "1__0": "1__0", "0x": "0x",
		"1.5": 1.5, "1e3": 1000.0, ".5": 0.5, "5.": 5.0, "1_0.5": 10.5,
		"True": true, "False": false, "None": nil,
		"yes": "yes", "FALSE": "FALSE", "true": "true", "none": "none",
		"'quoted'": "quoted", `"dq"`: "dq", "'a' 'b'": "ab", "u'x'": "x", `r'\n'`: `\n`, "b'bytes'": "bytes",
		`"\x41\101\n"`: "AA\n", `"\q"`: `\q`, `f"x"`: `f"x"`, "'unterminated": "'unterminated",
		"[1, 2]": []any{1, 2}, "[1,]": []any{1}, `(1, "a")`: []any{1, "a"}, "()": []any{}, "(7)": 7,
		"[1, [2, [3]]]": []any{1, []any{2, []any{3}}}, "[1, 2": "[1, 2",
		`{"a": 1, 2: [None]}`:        map[string]any{"a": 1, "2": []any{nil}},
		"{True: 1, None: 2, 1.5: 3}": map[string]any{"true": 1, "null": 2, "1.5": 3},
		`{"a" 1}`:                    `{"a" 1}`,
		"{1, 2}":                     "{1, 2}", // a Python set: not representable, kept as text
		"1j":                         "1j",
		"--1":                        "--1",
		"-True":                      "-True",
		"two words":                  "two words",
		"foo=bar":                    "foo=bar",
		"1 # comment":                1,
		"  42":                       42,
		"1 2":                        "1 2",
		"9223372036854775807":        9223372036854775807,
		"9223372036854775808":        "9223372036854775808", // beyond int64: ferry keeps the text
		"":                           "",
		strings.Repeat("[", 200) + "1" + strings.Repeat("]", 200): strings.Repeat("[", 200) + "1" + strings.Repeat("]", 200),
	} {
		if got := parseINIValue(in); !reflect.DeepEqual(got, want) {
			t.Errorf("parseINIValue(%q) = %#v, want %#v", in, got, want)
		}
	}
}

func TestShlexSplit(t *testing.T) {
	for in, want := range map[string][]string{
		`h x=a#b y=2`:          {"h", "x=a"},
		`h x="a \" b" y='c d'`: {"h", `x=a " b`, "y=c d"},
		`h x=a\ b`:             {"h", "x=a b"},
		`h x=1;y=2`:            {"h", "x=1;y=2"},
		`h x="'007'"`:          {"h", "x='007'"},
		`h   x=""   # c`:       {"h", "x="},
		`h x='a\b'`:            {"h", `x=a\b`},
	} {
		got, err := shlexSplit(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("shlexSplit(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		`h x="open`: "no closing quotation mark",
		`h x=a\`:    "no character after the final backslash",
	} {
		if _, err := shlexSplit(in); err == nil || err.Error() != want {
			t.Errorf("shlexSplit(%q) error = %v, want %s", in, err, want)
		}
	}
}

func TestExpandHostRange(t *testing.T) {
	for in, want := range map[string][]string{
		"web1":               {"web1"},
		"web[01:03].example": {"web01.example", "web02.example", "web03.example"},
		"web[1:3]":           {"web1", "web2", "web3"},
		"web[:2]":            {"web0", "web1", "web2"},
		"db-[a:c]":           {"db-a", "db-b", "db-c"},
		"db-[y:B]":           {"db-y", "db-z", "db-A", "db-B"},
		"n[1:10:4]":          {"n1", "n5", "n9"},
		"n[a:e:2]":           {"na", "nc", "ne"},
		"r[1:2]-[a:b]":       {"r1-a", "r1-b", "r2-a", "r2-b"},
		"10.0.[0:1].[8:9]":   {"10.0.0.8", "10.0.0.9", "10.0.1.8", "10.0.1.9"},
		"x[08:10]":           {"x08", "x09", "x10"},
		"x[3:3]":             {"x3"},
	} {
		got, err := ExpandHostRange(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ExpandHostRange(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"web[3:1]":         `host range [3:1] in "web[3:1]": range start 3 is after end 1`,
		"web[c:a]":         `host range [c:a] in "web[c:a]": range start c is after end a`,
		"web[1:5:0]":       `host range [1:5:0] in "web[1:5:0]": range step "0" must be a positive integer`,
		"web[1]":           `host range [1] in "web[1]": a range must be [start:end] or [start:end:step]`,
		"web[1:2:3:4]":     `host range [1:2:3:4] in "web[1:2:3:4]": a range must be [start:end] or [start:end:step]`,
		"web[1:]":          `host range [1:] in "web[1:]": range has no end value`,
		"web[01:100]":      `host range [01:100] in "web[01:100]": zero-padded range start 01 and end 100 must have the same width`,
		"web[a:9]":         `host range [a:9] in "web[a:9]": range bounds must be two non-negative numbers or two single letters`,
		"web[1:3":          `host range in "web[1:3" has no closing ']'`,
		"web[0:999999]":    `host range [0:999999] in "web[0:999999]": range expands to more than 100000 hosts`,
		"a[0:999]b[0:999]": `host range "a[0:999]b[0:999]" expands to more than 100000 hosts`,
	} {
		if _, err := ExpandHostRange(in); err == nil || err.Error() != want {
			t.Errorf("ExpandHostRange(%q) error =\n  %v\nwant\n  %s", in, err, want)
		}
	}
}

func TestParseAddress(t *testing.T) {
	for in, want := range map[string]struct {
		host string
		port int
	}{
		"web1":             {"web1", 0},
		"web1:2222":        {"web1", 2222},
		"web[1:3]:22":      {"web[1:3]", 22},
		"10.0.0.1:22":      {"10.0.0.1", 22},
		"[::1]:22":         {"::1", 22},
		"fe80::1":          {"fe80::1", 0},
		"host.example.com": {"host.example.com", 0},
	} {
		host, port, err := parseAddress(in)
		if err != nil || host != want.host || port != want.port {
			t.Errorf("parseAddress(%q) = %q, %d, %v; want %q, %d", in, host, port, err, want.host, want.port)
		}
	}
	for _, bad := range []string{"web_", "-web", "a b", "web:", "web:99999"} {
		if _, _, err := parseAddress(bad); err == nil {
			t.Errorf("parseAddress(%q) succeeded, want an error", bad)
		}
	}
}

// The ASCII fast path must say what hostnameRE says, for every string of up
// to five characters over the characters that matter to it.
func TestASCIIHostnameAgreesWithRegexp(t *testing.T) {
	const alphabet = "aZ0_-."
	var walk func(s string)
	walk = func(s string) {
		ok, decided := isASCIIHostname(s)
		if want := hostnameRE().MatchString(s); !decided || ok != want {
			t.Errorf("isASCIIHostname(%q) = %v, %v; hostnameRE says %v", s, ok, decided, want)
		}
		if len(s) < 5 {
			for _, c := range alphabet {
				walk(s + string(c))
			}
		}
	}
	walk("")
	for _, s := range []string{"wéb", "web[1:3]", "a b", "web\x00"} {
		if _, decided := isASCIIHostname(s); decided {
			t.Errorf("isASCIIHostname(%q) decided; only the regexp knows Unicode and ranges", s)
		}
	}
}

func TestINIParsing(t *testing.T) {
	inv := loadString(t, "hosts", `
top1 a=1
[web]
web[1:2] port_typed=22 s="x y"
web3:2022 ansible_port=22
[quotes]
qh q="22" r='[1, 2]'
[quotes:vars]
q2="22"
q3=[1, 2]
[web:vars]
g="quoted" # in :vars the comment is part of the Python expression
n=5
[web:children]
later
[later]
l1
[app:children]
web
`)
	if got := hostNamesOf(inv.Hosts()); !reflect.DeepEqual(got, []string{"top1", "qh", "web1", "web2", "web3", "l1"}) {
		// Breadth first from all: ungrouped, app, web, later (as ansible --list-hosts all).
		t.Errorf("Hosts() = %v", got)
	}
	want := map[string]map[string]any{
		"top1": {"a": 1},
		"web1": {"port_typed": 22, "s": "x y", "g": "quoted", "n": 5},
		"web3": {"ansible_port": 22, "g": "quoted", "n": 5},
		"l1":   {"g": "quoted", "n": 5},
		// shlex removes a host line's quotes before typing, a :vars line keeps
		// them: "22" is an int on a host line and a string in :vars.
		"qh": {"q": 22, "r": []any{1, 2}, "q2": "22", "q3": []any{1, 2}},
	}
	for host, vars := range want {
		if got := inv.HostVars(host); !reflect.DeepEqual(got, vars) {
			t.Errorf("HostVars(%s) = %v, want %v", host, got, vars)
		}
	}
	if got := inv.GroupNames("l1"); !reflect.DeepEqual(got, []string{"app", "later", "web"}) {
		t.Errorf("GroupNames(l1) = %v", got)
	}
	if got := inv.GroupNames("top1"); !reflect.DeepEqual(got, []string{"ungrouped"}) {
		t.Errorf("GroupNames(top1) = %v (Ansible lists ungrouped)", got)
	}
	members := inv.GroupMembers()
	if !reflect.DeepEqual(members["web"], []string{"web1", "web2", "web3", "l1"}) ||
		!reflect.DeepEqual(members["ungrouped"], []string{"top1"}) || len(members["all"]) != 6 {
		t.Errorf("GroupMembers() = %v", members)
	}
}

func TestINIErrors(t *testing.T) {
	for name, tc := range map[string]struct{ content, want string }{
		"bad range":      {"[web]\nok\nweb[3:1]\n", `hosts:3: host range [3:1] in "web[3:1]": range start 3 is after end 1`},
		"malformed var":  {"[web]\nweb1 a=1 oops\n", `hosts:2: host web1: expected key=value after the host name, got "oops" (quote values that contain spaces: key="a b")`},
		"empty key":      {"web1 =1\n", `hosts:1: host web1: expected key=value after the host name, got "=1" (quote values that contain spaces: key="a b")`},
		"unclosed quote": {"web1 a=\"x\n", `hosts:1: cannot parse host line "web1 a=\"x": no closing quotation mark`},
		"self child":     {"[a]\nh\n[a:children]\na\n", "hosts:4: group a cannot be a child of itself: remove it from its own children"},
		"cycle": {"[a:children]\nb\n[b:children]\na\n",
			"hosts:4: adding group a as a child of b creates a cycle (a is already an ancestor of b): remove one of the two links"},
		"unknown section": {"[web:var]\nx=1\n", "hosts:1: section [web:var] has unknown type \"var\": use [web], [web:vars] or [web:children] did you mean `vars`?"},
		"bad header":      {"[web servers]\nh\n", "hosts:1: invalid section header [web servers]: write [group], [group:vars] or [group:children], with no spaces"},
		"vars no equals":  {"[web]\nh\n[web:vars]\njustakey\n", `hosts:4: [web:vars]: expected key=value, got "justakey"`},
		"undefined vars group": {"[web]\nh\n[wbe:vars]\nx=1\n",
			"hosts:3: [wbe:vars] sets variables of group wbe, which no [wbe] or [wbe:children] section defines: define the group or fix the name did you mean `web`?"},
		"undefined child": {"[web]\nh\n[prod:children]\nwbe\n",
			"hosts:4: [prod:children] lists group wbe, which no section defines: add a [wbe] section or fix the name did you mean `web`?"},
		"bad child name": {"[prod:children]\nweb db\n", `hosts:2: [prod:children]: expected a group name, got "web db"`},
		"trailing colon": {"[web]\nweb1:\n", `hosts:2: host "web1:" ends in ':', which is reserved for a port: write host:PORT or remove the colon`},
		"yaml in ini":    {"---\n", `hosts:1: host "---": '---' is the start of a YAML document; name YAML inventories *.yml`},
		"priority":       {"[web]\nh\n[web:vars]\nansible_group_priority=high\n", "hosts:4: ansible_group_priority of group web must be an integer, got high"},
		"several errors": {"[web]\nweb[2:1]\nh a\n", "hosts:2: host range [2:1] in \"web[2:1]\": range start 2 is after end 1\n" +
			"hosts:3: host h: expected key=value after the host name, got \"a\" (quote values that contain spaces: key=\"a b\")"},
	} {
		t.Run(name, func(t *testing.T) {
			if got := loadErr(t, "hosts", tc.content); got != tc.want {
				t.Errorf("error =\n  %s\nwant\n  %s", got, tc.want)
			}
		})
	}
}

func TestINIPendingChildDefinedLater(t *testing.T) {
	inv := loadString(t, "hosts", "[prod:children]\nweb\n[web]\nw1\n")
	if got := hostNamesOf(mustMatch(t, inv, "prod")); !reflect.DeepEqual(got, []string{"w1"}) {
		t.Errorf("prod = %v", got)
	}
}

func mustMatch(t *testing.T, inv *Inventory, pattern string) []*Host {
	t.Helper()
	hosts, err := inv.Match(pattern)
	if err != nil {
		t.Fatalf("Match(%q): %v", pattern, err)
	}
	return hosts
}

func TestYAMLErrors(t *testing.T) {
	for name, tc := range map[string]struct{ content, want string }{
		"host instead of hosts": {"all:\n  children:\n    web:\n      host:\n        w1:\n",
			"inv.yml:4: unknown key \"host\" in group web: did you mean `hosts`?"},
		"variables at group level": {"all:\n  children:\n    web:\n      hosts:\n        w1:\n      http_port: 80\n",
			`inv.yml:6: unknown key "http_port" in group web: (a group takes only hosts:, vars: and children:; put variables under vars:)`},
		"hosts as list": {"all:\n  hosts:\n    - w1\n    - w2\n",
			"inv.yml:3: hosts of group all must be a mapping with one `name:` per line, got a list"},
		"bad yaml": {"all:\n  hosts:\n    w1:\n   bad: [\n", "inv.yml:4: invalid YAML: did not find expected key (in the block that starts at line 1)"},
		"bad range": {"all:\n  hosts:\n    web[3:1]:\n",
			`inv.yml:3: host range [3:1] in "web[3:1]": range start 3 is after end 1`},
		"cycle": {"all:\n  children:\n    a:\n      children:\n        b:\n          children:\n            a:\n",
			"inv.yml:5: adding group b as a child of a creates a cycle (b is already an ancestor of a): remove one of the two links"},
		"self child": {"web:\n  children:\n    web:\n", "inv.yml:3: group web cannot be a child of itself: remove it from its own children"},
		"group is list": {"all:\n  children:\n    web: [w1]\n",
			"inv.yml:3: group web must be a mapping with hosts:, vars: and children:, got a list"},
		"host vars not mapping": {"all:\n  hosts:\n    w1: 22\n",
			`inv.yml:3: vars of host w1 must be a mapping of variable names to values, got the value "22"`},
		"numeric host":     {"all:\n  hosts:\n    1.5:\n", `inv.yml:3: host name "1.5" must be a string: quote it ("1.5":)`},
		"duplicate host":   {"all:\n  hosts:\n    w1:\n    w1:\n", `inv.yml:4: duplicate key "w1" (first at line 3): merge the two entries`},
		"vault":            {"all:\n  vars:\n    pw: !vault |\n      $ANSIBLE_VAULT;1.1;AES256\n      6162\n", "inv.yml:3: the !vault value is encrypted with ansible-vault and no vault password was given: pass --vault-password-file FILE, --vault-id [LABEL@]FILE or --ask-vault-pass"},
		"unknown tag":      {"all:\n  vars:\n    x: !custom 1\n", "inv.yml:3: unknown YAML tag !custom: ferry knows !secret, !unsafe and !vault"},
		"secret on list":   {"all:\n  vars:\n    x: !secret [1]\n", "inv.yml:3: !secret applies to a single string value, not to a list or mapping"},
		"plugin file":      {"plugin: aws_ec2\n", "inv.yml:1: inventory plugin configuration (plugin: aws_ec2) is not supported: list hosts and groups under all:"},
		"not a mapping":    {"- a\n- b\n", "inv.yml:1: a YAML inventory must be a mapping of group names (usually just `all:`), got a list"},
		"two documents":    {"all:\n---\nall:\n", "inv.yml:2: a second YAML document starts here: an inventory or vars file holds exactly one document"},
		"vars not mapping": {"all:\n  vars: [1]\n", "inv.yml:2: vars of group all must be a mapping of variable names to values, got a list"},
		"several errors": {"all:\n  children:\n    web:\n      host:\n    db:\n      hots:\n",
			"inv.yml:4: unknown key \"host\" in group web: did you mean `hosts`?\ninv.yml:6: unknown key \"hots\" in group db: did you mean `hosts`?"},
	} {
		t.Run(name, func(t *testing.T) {
			if got := loadErr(t, "inv.yml", tc.content); got != tc.want {
				t.Errorf("error =\n  %s\nwant\n  %s", got, tc.want)
			}
		})
	}
}

func TestYAMLAliasBomb(t *testing.T) {
	defer func(old int) { maxYAMLNodes = old }(maxYAMLNodes)
	maxYAMLNodes = 100_000
	var b strings.Builder
	b.WriteString("all:\n  vars:\n    l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "    l%d: &l%d [*l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	got := loadErr(t, "inv.yml", b.String())
	if !strings.Contains(got, "expands to more than 100000 values") {
		t.Errorf("error = %s", got)
	}
}

func TestVarsFileErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		files map[string]string
		want  string
	}{
		"list file": {map[string]string{"group_vars/web.yml": "- a\n"},
			"group_vars/web.yml:1: a vars file must be a mapping of variable names to values, got a list"},
		"bad yaml": {map[string]string{"host_vars/w1.yml": "a: [\n"},
			"host_vars/w1.yml:1: invalid YAML: did not find expected node content"},
		"vaulted file": {map[string]string{"group_vars/all.yml": "$ANSIBLE_VAULT;1.1;AES256\n3132\n"},
			"group_vars/all.yml is encrypted with ansible-vault and no vault password was given: pass --vault-password-file FILE, --vault-id [LABEL@]FILE or --ask-vault-pass"},
	} {
		t.Run(name, func(t *testing.T) {
			files := map[string]string{"hosts": "[web]\nw1\n"}
			for k, v := range tc.files {
				files[k] = v
			}
			t.Chdir(writeFiles(t, files))
			_, err := Load("hosts")
			if err == nil || err.Error() != tc.want {
				t.Errorf("error =\n  %v\nwant\n  %s", err, tc.want)
			}
		})
	}
}

func TestMissingSource(t *testing.T) {
	t.Chdir(t.TempDir())
	_, err := Load("nope.ini")
	want := "inventory source nope.ini: no such file or directory: pass an existing file or directory with -i, or a host list like host1,host2,"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}

func TestHostListSource(t *testing.T) {
	t.Chdir(t.TempDir())
	inv, err := Load("10.0.0.5, web1:2222,")
	if err != nil {
		t.Fatal(err)
	}
	if got := hostNamesOf(inv.Hosts()); !reflect.DeepEqual(got, []string{"10.0.0.5", "web1"}) {
		t.Errorf("hosts = %v", got)
	}
	if got := inv.HostVars("web1")["ansible_port"]; got != 2222 {
		t.Errorf("web1 ansible_port = %v", got)
	}
}

func TestFormatDetection(t *testing.T) {
	for name, content := range map[string]string{
		"hosts":      "all:\n  hosts:\n    h1:\n",
		"hosts.ini":  "h1\n",
		"hosts.txt":  "h1\n",
		"inv.yaml":   "all:\n  hosts:\n    h1:\n",
		"inv.json":   `{"all": {"hosts": {"h1": {"n": 1e3}}}}`,
		"plainlist":  "h1\n",
		"ini-no-ext": "[g]\nh1\n",
	} {
		inv := loadString(t, name, content)
		if got := hostNamesOf(inv.Hosts()); !reflect.DeepEqual(got, []string{"h1"}) {
			t.Errorf("%s: hosts = %v", name, got)
		}
		if name == "inv.json" && inv.HostVars("h1")["n"] != 1000.0 {
			t.Errorf("JSON number 1e3 = %#v, want the float 1000", inv.HostVars("h1")["n"])
		}
	}
}

func TestYAMLValues(t *testing.T) {
	inv := loadString(t, "inv.yml", `all:
  hosts:
    h1:
      yes_: yes
      off_: Off
      octal: 0755
      hex: 0x1F
      sexa: 1:30
      float: 1.5
      exp_no_sign: 1e3
      exp_sign: 1.0e+3
      inf: .inf
      null_: ~
      empty:
      str_int: "22"
      explicit: !!str 22
      explicit_float: !!float 3
      unsafe: !unsafe "{{ not_a_template }}"
      secret: !secret s3cr3t
      list: [a, 1, no]
      nested: {a: {b: on}}
      1: int key
`)
	want := map[string]any{
		"yes_": true, "off_": false, "octal": 493, "hex": 31, "sexa": 90, "float": 1.5,
		"exp_no_sign": "1e3", "exp_sign": 1000.0, "null_": nil, "empty": nil, "str_int": "22",
		"explicit": "22", "explicit_float": 3.0, "unsafe": rawtext.Text("{{ not_a_template }}"), "secret": "s3cr3t",
		"list": []any{"a", 1, false}, "nested": map[string]any{"a": map[string]any{"b": true}}, "1": "int key",
	}
	got := inv.HostVars("h1")
	inf := got["inf"]
	delete(got, "inf")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("HostVars = %v\nwant      %v", got, want)
	}
	if f, ok := inf.(float64); !ok || f < 1e308 {
		t.Errorf(".inf = %v", inf)
	}
}
