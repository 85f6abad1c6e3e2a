package pyname

import "testing"

// The names measured with ansible-playbook 2.14 as `register:` values:
// refused ones failed with "Invalid variable name in 'register' specified".
func TestIsIdentifier(t *testing.T) {
	for name, want := range map[string]bool{
		"x": true, "_x": true, "x1": true, "import_tasks": true, "true": true, "hostvars": true, "when": true,
		"import": false, "None": false, "def": false, "class": false, "for": false, "1x": false,
		"not valid": false, "": false, "é": false, "a-b": false,
	} {
		if got := IsIdentifier(name); got != want {
			t.Errorf("IsIdentifier(%q) = %v, want %v", name, got, want)
		}
	}
}
