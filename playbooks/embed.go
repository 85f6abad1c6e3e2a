// Package playbooks ships ferry's playbooks and the example site inventory
// inside the binary.
package playbooks

import "embed"

// FS holds the shipped playbooks (*.yml, the task files they import)
// and examples/site, the inventory a user copies for a new site.
//
//go:embed *.yml tasks all:examples
var FS embed.FS

// Default is the playbook `ferry run` runs when given none.
const Default = "dash-enterprise.yml"
