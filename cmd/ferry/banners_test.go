package main

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var taskBanner = regexp.MustCompile(`(?m)^TASK \[.*\]`)

// TestCompareTaskBanners: templated task names in the banners, under the
// linear and the free strategy, are the ones ansible-playbook prints.
func TestCompareTaskBanners(t *testing.T) {
	dir := filepath.Join("..", "..", "runner", "testdata", "banners")
	inv, _ := filepath.Abs(filepath.Join("..", "..", "runner", "testdata", "compare", "inventory.ini"))
	c := comparison{dir: dir, playbook: "site.yml", inventory: inv}
	code, stdout, stderr, _ := c.ferry(t)
	if code != 0 {
		t.Fatalf("ferry exited %d\n%s%s", code, stdout, stderr)
	}
	_, want, _, ran := c.ansible(t)
	if !ran {
		return
	}
	if got, want := banners(stdout), banners(want); !slices.Equal(got, want) {
		t.Errorf("banners differ\nferry:\n%s\nansible-playbook:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// banners are the distinct task banners of a run's output, sorted (a free
// play's banners repeat as its hosts' results interleave).
func banners(out string) []string {
	found := taskBanner.FindAllString(out, -1)
	slices.Sort(found)
	return slices.Compact(found)
}
