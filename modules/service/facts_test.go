package service_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/rootfs"
)

// initRoot is a root with testdata/ferry-demo.init as /etc/init.d/ferry-demo
// and ferry-two (services whose actions are logged in
// /var/log/ferry-demo.log).
func initRoot(t *testing.T) *rootfs.Host {
	h := rootfs.Start(t)
	script, err := os.ReadFile("testdata/ferry-demo.init")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ferry-demo", "ferry-two"} {
		if err := os.WriteFile(h.Path("/etc/init.d/"+name), script, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// TestServiceFactsAgainstAnsible runs testdata/service_facts.yml with
// --check, then twice for real, with ferry and ansible-playbook on a fresh
// root each, where ferry-demo runs: recaps and the facts must agree.
func TestServiceFactsAgainstAnsible(t *testing.T) {
	ours, theirs := initRoot(t), initRoot(t)
	for _, h := range []*rootfs.Host{ours, theirs} {
		h.Run("/etc/init.d/ferry-demo start")
	}
	playbook, _ := filepath.Abs("testdata/service_facts.yml")
	none := func(bool) string { return "" }
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t), State: none,
		Skip: []string{"_ansible_verbose_always"}}.Run(t)
}
