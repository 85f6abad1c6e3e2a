package vault

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// EditFile encrypts what was saved again with the file's own password and
// vault id, keeps the file's mode, leaves the file alone when nothing
// changed, and removes the plaintext it gave the editor.
func TestEditFile(t *testing.T) {
	k := NewKeyring(Secret{ID: "dev", Password: []byte("dev-pw")}, Secret{ID: "prod", Password: []byte("prod-pw")})
	name := filepath.Join(t.TempDir(), "secrets.yml")
	enc, err := Encrypt([]byte("a: 1\n"), []byte("prod-pw"), "prod")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, enc, 0o640); err != nil {
		t.Fatal(err)
	}
	var edited string
	f := &Files{Keys: k, Edit: func(path string) error {
		edited = path
		return os.WriteFile(path, []byte("a: 2\n"), 0o600)
	}}
	if err := f.EditFile(name); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(name)
	plain, err := Decrypt(data, []byte("prod-pw"))
	if err != nil || string(plain) != "a: 2\n" || !strings.HasPrefix(string(data), "$ANSIBLE_VAULT;1.2;AES256;prod\n") {
		t.Errorf("after edit: %q %v\n%s", plain, err, data)
	}
	if fi, _ := os.Stat(name); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want the file's 0640", fi.Mode().Perm())
	}
	if _, err := os.Stat(edited); !os.IsNotExist(err) {
		t.Errorf("the plaintext %s is still there: %v", edited, err)
	}

	f.Edit = func(string) error { return nil }
	if err := f.EditFile(name); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(name); string(again) != string(data) {
		t.Error("an edit that changed nothing rewrote the file")
	}
}
