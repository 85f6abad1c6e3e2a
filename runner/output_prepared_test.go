package runner

import (
	"bytes"
	"testing"

	"github.com/ferry-sh/ferry/modules"
)

// A diff told as text (apt's plan, Ansible's diff.prepared) is shown as it
// is under --diff, as Ansible's callback shows it, and not without.
func TestPreparedDiffShownAsItIs(t *testing.T) {
	plan := "The following NEW packages will be installed:\n  ferry-extra\n0 upgraded, 1 newly installed, 0 to remove and 0 not upgraded."
	ev := Event{Type: EventHostResult, Host: "vm", Status: StatusChanged, Diffs: []modules.Diff{{Prepared: plan}}}
	var b bytes.Buffer
	NewTextSink(&b, 0, true, false).Event(ev)
	if want := "changed: [vm]\n" + plan + "\n"; b.String() != want {
		t.Errorf("--diff output:\n%q\nwant:\n%q", b.String(), want)
	}
	b.Reset()
	NewTextSink(&b, 0, false, false).Event(ev)
	if b.String() != "changed: [vm]\n" {
		t.Errorf("without --diff: %q", b.String())
	}
}
