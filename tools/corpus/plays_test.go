package corpus

import (
	"strings"
	"testing"
)

// publicPlays are repositories of playbooks (not roles) that this project
// never tuned for, taken as a newcomer takes them (session 9): each
// playbook with its own inventory when it has one, else one naming its
// plays' groups, from the directory of its project's ansible.cfg.
var publicPlays = []string{
	"ansible+workshops",
	"ansible+product-demos",
	"ansible+ansible-documentation",
	"ansible+ansible-tower-samples",
	"ansible+awx-ee",
	"geerlingguy+mac-dev-playbook",
	"geerlingguy+internet-pi",
	"geerlingguy+turing-pi-cluster",
	"geerlingguy+raspberry-pi-dramble",
	"geerlingguy+pi-cluster",
	"geerlingguy+drupal-vm",
	"geerlingguy+ansible-collection-mac",
	"trailofbits+algo",
	"sovereign+sovereign",
	"StreisandEffect+streisand",
	"kubernetes-sigs+kubespray",
	"redhat-cop+infra.osbuild",
}

// TestPlays compares ferry validate with ansible-playbook --syntax-check on
// every playbook of publicPlays, a table per repository.
func TestPlays(t *testing.T) {
	enabled(t)
	for _, repo := range publicPlays {
		t.Run(repo, func(t *testing.T) { syntaxCorpus(t, repo, "", "plays/"+strings.Split(repo, "+")[1], true) })
	}
}

// TestPlaysInventories compares ferry inventory --list with
// ansible-inventory --list on every static inventory file of publicPlays.
func TestPlaysInventories(t *testing.T) {
	enabled(t)
	for _, repo := range publicPlays {
		t.Run(repo, func(t *testing.T) { compareInventories(t, repo, "inventories/"+strings.Split(repo, "+")[1]) })
	}
}
