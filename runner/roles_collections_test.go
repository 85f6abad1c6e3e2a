package runner

import (
	"strings"
	"testing"
)

// A dotted role name that is nowhere, in a play with `collections`, is not
// found (ansible-playbook: "the role 'geerlingguy.helm' was not found");
// ferry prefixed each collection to it again and again until the stack
// ran out (geerlingguy/turing-pi-cluster's main.yml, whose roles need
// galaxy roles it does not hold).
func TestDottedRoleMissingWithPlayCollections(t *testing.T) {
	src := "- hosts: all\n  collections: [community.kubernetes]\n  roles: [geerlingguy.helm]\n"
	_, err := ParsePlaybook("pb.yml", t.TempDir(), []byte(src))
	if err == nil || !strings.Contains(err.Error(), `pb.yml:3:11: role "geerlingguy.helm" not found`) {
		t.Fatalf("want the role not found, got %v", err)
	}
}
