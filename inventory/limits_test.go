package inventory

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDuplicateKeysAreErrors: a vars file, a --secrets file (the same
// reader) and group_vars refuse a key given twice, as the playbook parser
// does, naming both lines.
func TestDuplicateKeysAreErrors(t *testing.T) {
	dir := t.TempDir()
	vars := filepath.Join(dir, "vars.yml")
	writeTestFile(t, vars, "a: 1\nb:\n  c: 1\n  c: 2\na: 3\n")
	_, _, err := ReadVarsFile(vars)
	if err == nil || !strings.Contains(err.Error(), `vars.yml:4: duplicate key "c" (the first is at line 3)`) ||
		!strings.Contains(err.Error(), `vars.yml:5: duplicate key "a" (the first is at line 1)`) {
		t.Errorf("vars file: %v", err)
	}
	writeTestFile(t, filepath.Join(dir, "site", "hosts.ini"), "[web]\nweb1\n")
	writeTestFile(t, filepath.Join(dir, "site", "group_vars", "web.yml"), "port: 80\nport: 8080\n")
	if _, err := Load(filepath.Join(dir, "site", "hosts.ini")); err == nil || !strings.Contains(err.Error(), `web.yml:2: duplicate key "port"`) {
		t.Errorf("group_vars: %v", err)
	}
	// A merge key's values may be overridden: that is what merges are for.
	writeTestFile(t, vars, "base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  x: 3\n")
	got, _, err := ReadVarsFile(vars)
	if err != nil || got["other"].(map[string]any)["x"] != 3 {
		t.Errorf("merge override: %v %v", got, err)
	}
}

// TestInventoryHostLimit: many range lines, each under the per-pattern
// limit, stop at the inventory's limit with a message, not by exhausting
// memory.
func TestInventoryHostLimit(t *testing.T) {
	defer func(n int) { maxInventoryHosts = n }(maxInventoryHosts)
	maxInventoryHosts = 1000
	dir := t.TempDir()
	var ini strings.Builder
	ini.WriteString("[web]\n")
	for i := 0; i < 30; i++ {
		ini.WriteString("w" + strings.Repeat("x", i) + "[1:100]\n")
	}
	writeTestFile(t, filepath.Join(dir, "hosts.ini"), ini.String())
	writeTestFile(t, filepath.Join(dir, "hosts.yml"), "all:\n  hosts:\n    a[1:600]:\n    b[1:600]:\n")
	for _, f := range []string{"hosts.ini", "hosts.yml"} {
		_, err := Load(filepath.Join(dir, f))
		if err == nil || !strings.Contains(err.Error(), "the inventory would hold more than 1000 hosts, ferry's limit") {
			t.Errorf("%s: %v", f, err)
		}
	}
}
