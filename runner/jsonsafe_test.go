package runner

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestJSONOutputKeepsNonFiniteResults: a result holding Inf or NaN is an
// ordinary host_result event in --output json, not a lost one.
func TestJSONOutputKeepsNonFiniteResults(t *testing.T) {
	pb := `
- hosts: web1
  gather_facts: false
  vars: {inf: .inf, ninf: -.inf, nan: .nan}
  tasks:
    - debug: {msg: "{{ inf }}"}
    - set_fact: {n: "{{ ninf }}", m: ["{{ nan }}"]}
`
	r := runPlaybook(t, pb, localInventory, func(s *Session) { s.Output = "json" })
	var results []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("not JSON: %s", line)
		}
		if ev["event"] == "warning" {
			t.Errorf("warning: %v", ev["msg"])
		}
		if ev["event"] == "host_result" {
			results = append(results, ev["result"].(map[string]any))
		}
	}
	if len(results) != 2 || results[0]["msg"] != "Infinity" {
		t.Fatalf("results %v\n%s", results, r.stdout)
	}
	facts, _ := results[1]["ansible_facts"].(map[string]any)
	if facts["n"] != "-Infinity" || facts["m"].([]any)[0] != "NaN" {
		t.Errorf("facts %v", facts)
	}
}
