package corpus

import (
	"path/filepath"
	"strings"
	"testing"
)

// devopsRuns are the playbooks of ansible-for-devops that both tools accept
// and that run on a throw-away root without the network, or up to their
// first download (apt, uri): each is applied unchanged. (test-plugin and
// collection use Python test plugins: ferry validate refuses them.)
var devopsRuns = []string{
	"first-ansible-playbook/playbook.yml",
	"molecule/main.yml",
	"molecule/molecule/default/converge.yml",
	"molecule/molecule/default/verify.yml",
	"solr/provisioning/playbook.yml",
}

// TestDevopsRuns compares real runs of devopsRuns (--check, then twice for
// real), each tool on its own fresh root.
func TestDevopsRuns(t *testing.T) {
	enabled(t)
	dir := t.TempDir()
	extract(t, "geerlingguy+ansible-for-devops", dir)
	for _, pb := range devopsRuns {
		t.Run(strings.ReplaceAll(pb, "/", "_"), func(t *testing.T) {
			compareRounds(t, "devops-runs", pb, filepath.Join(dir, pb))
		})
	}
}
