package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// collections_path in the config file is where collections' roles are
// found, relative to the file's directory, for ferry as for
// ansible-playbook (ansible/product-demos' ansible.cfg says
// collections_path=./collections for its demo.* roles). Of the two keys,
// the last given wins, as in Ansible's config manager.
func TestConfigCollectionsPath(t *testing.T) {
	configSite(t, "[defaults]\ninventory = hosts.ini\ncollections_paths = elsewhere\ncollections_path = ./shared/collections\nforks = 1\n")
	for _, v := range []string{"ANSIBLE_COLLECTIONS_PATH", "ANSIBLE_COLLECTIONS_PATHS"} {
		t.Setenv(v, "")
		must(t, os.Unsetenv(v))
	}
	role := filepath.Join("shared", "collections", "ansible_collections", "demo", "things", "roles", "greet", "tasks")
	must(t, os.MkdirAll(role, 0o755))
	must(t, os.WriteFile(filepath.Join(role, "main.yml"), []byte("- debug: {msg: from the collection}\n"), 0o644))
	must(t, os.Mkdir("sub", 0o755))
	pb := filepath.Join("sub", "coll.yml")
	must(t, os.WriteFile(pb, []byte(`- hosts: web
  gather_facts: false
  roles: [demo.things.greet]
  tasks:
    - include_role: {name: demo.things.greet}
`), 0o644))
	code, stdout, stderr := ferry(t, "run", pb)
	if code != 0 || strings.Count(stdout, `"msg": "from the collection"`) != 4 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	sameAsAnsible(t, stdout, pb)
}
