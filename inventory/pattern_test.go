package inventory

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// patternCases run against testdata/patterns/hosts. The expected orders were
// checked with `ansible -i testdata/patterns/hosts PATTERN --list-hosts`
// (TestPatternsMatchLiveAnsible repeats that check when ansible is present).
var patternCases = []struct {
	pattern string
	want    []string
	// unknown lists the parts reported as naming nothing (a NoMatchError).
	unknown []string
	// ansibleUnordered: Ansible's own order is not deterministic here (it
	// walks grandchild groups in Python set order), so the live comparison
	// compares sets; ferry's order is breadth first in child order.
	ansibleUnordered bool
}{
	{pattern: "all", want: []string{"lonely", "db1", "db2", "web1", "prod-lb", "web2", "web3", "db-replica1"}, ansibleUnordered: true},
	{pattern: "*", want: []string{"lonely", "db1", "db2", "web1", "prod-lb", "web2", "web3", "db-replica1"}, ansibleUnordered: true},
	{pattern: "web", want: []string{"web1", "web2", "web3"}},
	{pattern: "web:db", want: []string{"web1", "web2", "web3", "db1", "db2"}},
	{pattern: "db,web", want: []string{"db1", "db2", "web1", "web2", "web3"}},
	{pattern: "db, web", want: []string{"db1", "db2", "web1", "web2", "web3"}},
	{pattern: "web:&prod", want: []string{"web1"}},
	{pattern: "web:!prod", want: []string{"web2", "web3"}},
	{pattern: "!prod:web", want: []string{"web2", "web3"}},
	{pattern: "all:!web", want: []string{"lonely", "db1", "db2", "prod-lb", "db-replica1"}},
	{pattern: "!web", want: []string{"lonely", "db1", "db2", "prod-lb", "db-replica1"}},
	{pattern: "&prod", want: []string{"db1", "web1", "prod-lb", "db-replica1"}},
	{pattern: "web[0]", want: []string{"web1"}},
	{pattern: "web[-1]", want: []string{"web3"}},
	{pattern: "web[1:2]", want: []string{"web2", "web3"}},
	{pattern: "web[1:]", want: []string{"web2", "web3"}},
	{pattern: "web[0:0]", want: []string{"web1"}},
	{pattern: "web[1-2]", want: []string{"web2", "web3"}},
	{pattern: "db*[1]", want: []string{"db2"}},
	{pattern: "web*", want: []string{"web1", "web2", "web3"}},
	{pattern: "db?", want: []string{"db1", "db2"}},
	{pattern: `~db\d`, want: []string{"db1", "db2"}},
	{pattern: "~(web|db)1", want: []string{"web1", "db1"}},
	{pattern: "*[!0-9]", want: []string{"lonely", "db1", "db2", "web1", "prod-lb", "web2", "web3", "db-replica1"}, ansibleUnordered: true},
	{pattern: "db1", want: []string{"db1"}},
	{pattern: "prod", want: []string{"web1", "db1", "prod-lb", "db-replica1"}},
	{pattern: "prod:staging", want: []string{"web1", "db1", "prod-lb", "db-replica1", "web2", "web3"}},
	{pattern: "ungrouped", want: []string{"lonely"}},
	{pattern: "localhost", want: []string{"localhost"}},
	{pattern: "prod:&db:!db1", want: []string{}},
	{pattern: "wbe", want: []string{}, unknown: []string{"wbe"}},
	{pattern: "web:wbe", want: []string{"web1", "web2", "web3"}, unknown: []string{"wbe"}},
}

func loadPatterns(t testing.TB) *Inventory {
	t.Helper()
	inv, err := Load(filepath.Join("testdata", "patterns", "hosts"))
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func hostNamesOf(hosts []*Host) []string {
	out := []string{}
	for _, h := range hosts {
		out = append(out, h.Name)
	}
	return out
}

func sameNames(a, b []string, asSet bool) bool {
	if asSet {
		a, b = sortedCopy(a), sortedCopy(b)
	}
	return reflect.DeepEqual(a, b)
}

func sortedCopy(s []string) []string {
	out := append([]string{}, s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestMatch(t *testing.T) {
	inv := loadPatterns(t)
	for _, tc := range patternCases {
		t.Run(tc.pattern, func(t *testing.T) {
			hosts, err := inv.Match(tc.pattern)
			got := hostNamesOf(hosts)
			if !sameNames(got, tc.want, false) {
				t.Errorf("Match(%q) = %v, want %v", tc.pattern, got, tc.want)
			}
			var nm *NoMatchError
			switch {
			case len(tc.want) == 0 || len(tc.unknown) > 0:
				if !errors.As(err, &nm) {
					t.Fatalf("Match(%q) error = %v, want a NoMatchError", tc.pattern, err)
				}
				var names []string
				for _, u := range nm.Unknown {
					names = append(names, u.Name)
				}
				if !reflect.DeepEqual(names, tc.unknown) {
					t.Errorf("unknown parts = %v, want %v", names, tc.unknown)
				}
			case err != nil:
				t.Errorf("Match(%q) error = %v", tc.pattern, err)
			}
		})
	}
}

func TestMatchErrors(t *testing.T) {
	inv := loadPatterns(t)
	for pattern, want := range map[string]string{
		"wbe":      "host pattern \"wbe\": \"wbe\" is not a host or group of the inventory: did you mean `web`?",
		"web:dbb":  "host pattern \"web:dbb\": \"dbb\" is not a host or group of the inventory: did you mean `db`?",
		"zzzzzzzz": "host pattern \"zzzzzzzz\": \"zzzzzzzz\" is not a host or group of the inventory",
		"web:&db":  "host pattern \"web:&db\" matches no hosts",
		"web[7]":   "host pattern \"web[7]\": index [7] is out of range: the group has 3 hosts (indexes 0 to 2)",
		"~web(":    "host pattern \"~web(\" is not a valid regular expression: error parsing regexp: missing closing ): `^(?:web()`",
	} {
		_, err := inv.Match(pattern)
		if err == nil || err.Error() != want {
			t.Errorf("Match(%q) error =\n  %v\nwant\n  %s", pattern, err, want)
		}
	}
}

func TestImplicitLocalhost(t *testing.T) {
	inv := loadPatterns(t)
	hosts, err := inv.Match("localhost")
	if err != nil || len(hosts) != 1 {
		t.Fatalf("Match(localhost) = %v, %v", hosts, err)
	}
	lh := hosts[0]
	if !lh.Implicit || lh.Name != "localhost" {
		t.Errorf("localhost = %+v, want the implicit localhost", lh)
	}
	if got := inv.HostVars("localhost")["ansible_connection"]; got != "local" {
		t.Errorf("implicit localhost ansible_connection = %v, want local", got)
	}
	for _, h := range inv.Hosts() {
		if h.Implicit {
			t.Error("the implicit localhost must not be part of all")
		}
	}
	if again, _ := inv.Match("localhost:web"); again[0] != lh {
		t.Error("the implicit localhost must be created once")
	}
	if _, ok := inv.Host("localhost"); ok {
		t.Error("Host must not report the implicit localhost as an inventory host")
	}

	// A localhost defined in the inventory is used as is, for every
	// localhost name, as in Ansible.
	withLocal := loadString(t, "hosts", "localhost ansible_connection=ssh\n")
	hosts, _ = withLocal.Match("localhost")
	if len(hosts) != 1 || hosts[0].Implicit || withLocal.HostVars("localhost")["ansible_connection"] != "ssh" {
		t.Errorf("inventory localhost not used: %+v", hosts)
	}
	if hosts, _ = withLocal.Match("127.0.0.1"); len(hosts) != 1 || hosts[0].Name != "localhost" {
		t.Errorf("Match(127.0.0.1) = %+v, want the inventory's localhost", hosts)
	}
}

// ansibleGetHosts evaluates every pattern with Ansible's own InventoryManager
// in one Python process (what `ansible PATTERN --list-hosts` prints).
const ansibleGetHosts = `
import json, sys
from ansible.parsing.dataloader import DataLoader
from ansible.inventory.manager import InventoryManager
inv = InventoryManager(loader=DataLoader(), sources=[sys.argv[1]])
print(json.dumps({p: [h.name for h in inv.get_hosts(p)] for p in json.loads(sys.argv[2])}))
`

// TestPatternsMatchLiveAnsible checks every pattern against Ansible's
// InventoryManager.get_hosts when Ansible's Python package is installed.
func TestPatternsMatchLiveAnsible(t *testing.T) {
	python := ansiblePython()
	if python == "" {
		t.Skip("ansible is not installed (apt-get install ansible-core); the table in TestMatch holds its results")
	}
	src, _ := filepath.Abs(filepath.Join("testdata", "patterns", "hosts"))
	var patterns []string
	for _, tc := range patternCases {
		patterns = append(patterns, tc.pattern)
	}
	arg, _ := json.Marshal(patterns)
	cmd := exec.Command(python, "-c", ansibleGetHosts, src, string(arg))
	cmd.Dir = t.TempDir()
	cmd.Env = append(cmd.Environ(), "ANSIBLE_LOCALHOST_WARNING=false", "ANSIBLE_HOME="+t.TempDir(), "ANSIBLE_LOCAL_TEMP="+t.TempDir())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ansible get_hosts: %v\n%s", err, out)
	}
	var ansible map[string][]string
	if err := json.Unmarshal(out, &ansible); err != nil || len(ansible) != len(patterns) {
		t.Fatalf("unexpected output (%v): %s", err, out)
	}
	inv := loadPatterns(t)
	for _, tc := range patternCases {
		hosts, _ := inv.Match(tc.pattern)
		want := append([]string{}, ansible[tc.pattern]...)
		if got := hostNamesOf(hosts); !sameNames(got, want, tc.ansibleUnordered) {
			t.Errorf("Match(%q) = %v, ansible get_hosts = %v", tc.pattern, got, want)
		}
	}
}

// ansiblePython returns the Python interpreter of the installed ansible
// command (its #! line), or "" when ansible is not installed.
func ansiblePython() string {
	bin, err := exec.LookPath("ansible")
	if err != nil {
		return ""
	}
	data, err := os.ReadFile(bin)
	if err != nil || !strings.HasPrefix(string(data), "#!") {
		return ""
	}
	line, _, _ := strings.Cut(string(data[2:]), "\n")
	fields := strings.Fields(line)
	if len(fields) == 0 || exec.Command(fields[0], "-c", "import ansible.inventory.manager").Run() != nil {
		return ""
	}
	return fields[0]
}
