package inventory

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from ansible-inventory")

// ansibleCases are inventories whose `ansible-inventory --list` output
// (Debian bookworm's ansible-core 2.14) is committed as a golden file.
var ansibleCases = []struct {
	name    string
	sources []string
}{
	{"ini_basic", []string{"ini_basic/hosts"}},
	{"yaml_basic", []string{"yaml_basic/inventory.yml"}},
	{"dir_inventory", []string{"dir_inventory"}},
	{"precedence", []string{"precedence/hosts.ini"}},
	{"multi", []string{"multi/first.ini", "multi/second.yaml"}},
	{"empty", []string{"empty/hosts"}},
	{"unsafe", []string{"unsafe/inventory.yml"}},
}

func testdataPaths(t *testing.T, rel []string) []string {
	t.Helper()
	out := make([]string, len(rel))
	for i, r := range rel {
		abs, err := filepath.Abs(filepath.Join("testdata", r))
		if err != nil {
			t.Fatal(err)
		}
		out[i] = abs
	}
	return out
}

// runAnsibleInventory runs ansible-inventory from an empty directory, so that
// no playbook-adjacent group_vars of the working directory leak in.
func runAnsibleInventory(t *testing.T, bin string, sources []string, args ...string) []byte {
	t.Helper()
	var argv []string
	for _, s := range sources {
		argv = append(argv, "-i", s)
	}
	cmd := exec.Command(bin, append(argv, args...)...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "ANSIBLE_LOCALHOST_WARNING=false", "ANSIBLE_NOCOLOR=1",
		"ANSIBLE_LOCAL_TEMP="+t.TempDir(), "ANSIBLE_HOME="+t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ansible-inventory %v: %v\n%s", argv, err, stderr.String())
	}
	return out
}

func parseJSON(t *testing.T, what string, data []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s is not JSON: %v\n%s", what, err, data)
	}
	return v
}

func assertSameJSON(t *testing.T, what string, got, want []byte) {
	t.Helper()
	g, w := parseJSON(t, "ferry output", got), parseJSON(t, what, want)
	if !reflect.DeepEqual(g, w) {
		t.Errorf("ferry differs from %s\nferry:\n%s\n%s:\n%s", what, got, what, want)
	}
}

func TestListJSONMatchesAnsibleGolden(t *testing.T) {
	bin, _ := exec.LookPath("ansible-inventory")
	for _, tc := range ansibleCases {
		t.Run(tc.name, func(t *testing.T) {
			sources := testdataPaths(t, tc.sources)
			golden := filepath.Join("testdata", tc.name+".golden.json")
			if *update {
				if bin == "" {
					t.Fatal("-update needs ansible-inventory on PATH (apt-get install ansible-core)")
				}
				if err := os.WriteFile(golden, runAnsibleInventory(t, bin, sources, "--list"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			inv, err := Load(sources...)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			got, err := inv.ListJSON()
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("golden file missing (regenerate with go test -run TestListJSONMatchesAnsibleGolden -update): %v", err)
			}
			assertSameJSON(t, golden, got, want)
		})
	}
}

// TestMatchesLiveAnsible compares --list and --graph with the ansible-inventory
// installed on this machine, when there is one.
func TestMatchesLiveAnsible(t *testing.T) {
	bin, err := exec.LookPath("ansible-inventory")
	if err != nil {
		t.Skip("ansible-inventory is not on PATH (apt-get install ansible-core); the golden files still cover --list")
	}
	for _, tc := range ansibleCases {
		t.Run(tc.name, func(t *testing.T) {
			sources := testdataPaths(t, tc.sources)
			inv, err := Load(sources...)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			got, err := inv.ListJSON()
			if err != nil {
				t.Fatal(err)
			}
			assertSameJSON(t, "ansible-inventory --list", got, runAnsibleInventory(t, bin, sources, "--list"))

			graph, err := inv.Graph("all")
			if err != nil {
				t.Fatal(err)
			}
			want := string(bytes.TrimRight(runAnsibleInventory(t, bin, sources, "--graph"), "\n"))
			if graph != want {
				t.Errorf("--graph differs\nferry:\n%s\nansible:\n%s", graph, want)
			}
			hosts := inv.Hosts()
			if len(hosts) == 0 {
				return
			}
			name := hosts[len(hosts)-1].Name
			hostJSON, err := inv.HostJSON(name)
			if err != nil {
				t.Fatal(err)
			}
			assertSameJSON(t, "ansible-inventory --host "+name, hostJSON, runAnsibleInventory(t, bin, sources, "--host", name))
		})
	}
}
