package pip

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// pipPy runs ansible-core's own pip.py functions (_recover_package_name,
// Package) with the interpreter ansible-playbook runs on, on every case:
// the names pip.py puts on pip's command line, the canonical names, and
// whether each version satisfies each package.
const pipPy = `
import json, sys
from ansible.modules import pip
cases = json.load(sys.stdin)
out = []
for c in cases:
    pkgs = [pip.Package(p) for p in pip._recover_package_name(c["names"])]
    if c["version"] is not None:
        pkgs[0] = pip.Package(str(pkgs[0]), c["version"])
    out.append([{"text": str(p), "name": p.package_name, "spec": p.has_version_specifier,
                 "satisfied": [p.is_satisfied_by(v) for v in c["versions"]]} for p in pkgs])
json.dump(out, sys.stdout)
`

type pipCase struct {
	Names    []string `json:"names"`
	Version  *string  `json:"version"`
	Versions []string `json:"versions"`
}

type pipPackageSeen struct {
	Text      string `json:"text"`
	Name      string `json:"name"`
	Spec      bool   `json:"spec"`
	Satisfied []bool `json:"satisfied"`
}

var (
	installedVersions = []string{"1.0", "1.0.0", "0.9", "1.0rc1", "1.0.post1", "1.0+local", "1.0+Local.7", "1.0.dev1", "1.0a1.dev2",
		"1.2", "1.2.5", "1.3", "1.3.0rc1", "2.0", "2.0a1", "2.0b2.post1", "1!1.0", "1.11.2", "1.11.3", "abc", "1.5", "1.0.1", "v1.0", "1.0-1", "1.0_post2", "1.0RC1"}
	requirementNames = [][]string{
		{"django>1.11.1", "<1.11.3", "ipaddress", "simpleproject>1.1.0", "<2.0.0"},
		{"django>1.11.1,<1.11.3,ipaddress", "simpleproject>1.1.0,<2.0.0"},
		{"Foo_Bar[b,a] >= 1.0 ; python_version>'3'"},
		{"foo (>=1.0)"}, {"foo==1.*"}, {"foo!=1.0.*"}, {"foo==1.0.*"}, {"foo~=1.2"}, {"foo~=1.2.3"}, {"foo~=1.0rc1"},
		{"a==1.0.0+local"}, {"a==1.0+local"}, {"pkg===abc"}, {"foo-1.0-py3-none-any.whl"}, {"/srv/x.whl"}, {"./dir"},
		{"git+https://example.com/y#egg=z"}, {"foo @ file:///srv/x.whl"}, {"foo>=1.0,!=1.5"}, {"foo[extra1, extra2]>=2"},
		{"foo<2.0"}, {"foo<1.3"}, {"foo>1.0"}, {"foo>2.0a0"}, {"foo<=1.0"}, {"foo==1.0rc1"}, {"foo>=1.0.dev0"},
		{"requests[security,socks]<3,>2"}, {"foo==1.0", "bar"}, {"Foo.Bar>=1,>=1"}, {"foo >= 1.0 , < 2"}, {"foo<1.0.post1"},
		{"foo>1!0.5"}, {"foo==v1.0"}, {"foo"},
	}
)

func pipCases() []pipCase {
	var cases []pipCase
	for _, n := range requirementNames {
		cases = append(cases, pipCase{Names: n, Versions: installedVersions})
	}
	for _, v := range []string{"1.0", ">=1.0", " 2.0", "<2,>1.0", "==1.*"} {
		cases = append(cases, pipCase{Names: []string{"Foo_bar"}, Version: &v, Versions: installedVersions})
	}
	return cases
}

// TestPackagesAsPipPy: ferry's reading of names, versions and specifiers
// is pip.py's (with pkg_resources), case by case.
func TestPackagesAsPipPy(t *testing.T) {
	cases := pipCases()
	in, _ := json.Marshal(cases)
	cmd := exec.Command("/usr/bin/python3", "-c", pipPy)
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.Output()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("ansible's pip.py with /usr/bin/python3: %v", err)
		}
		t.Skipf("ansible's pip.py with /usr/bin/python3: %v", err)
	}
	var want [][]pipPackageSeen
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		var got []pipPackageSeen
		for j, p := range recoverNames(c.Names) {
			pkg := newPackage(p, nil)
			if j == 0 && c.Version != nil {
				pkg = newPackage(pkg.text, c.Version)
			}
			seen := pipPackageSeen{Text: pkg.text, Name: pkg.name, Spec: pkg.hasVersionSpecifier()}
			for _, v := range c.Versions {
				seen.Satisfied = append(seen.Satisfied, pkg.satisfiedBy(v))
			}
			got = append(got, seen)
		}
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want[i])
		if string(g) != string(w) {
			t.Errorf("names %q version %v:\nferry:  %s\npip.py: %s", c.Names, c.Version, g, w)
		}
	}
}
