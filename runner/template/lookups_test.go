package template

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/vault"
)

// TestLookupPlugins: the examples of Ansible's own plugin documentation
// (sequence.py's docstring, the with_* docs) through query().
func TestLookupPlugins(t *testing.T) {
	e := New(Options{BaseDir: t.TempDir()})
	s := vars{"users": []any{
		map[string]any{"name": "a", "keys": []any{"k1", "k2"}},
		map[string]any{"name": "b", "keys": []any{}},
	}}
	for _, c := range []struct {
		src  string
		want any
	}{
		{"q('sequence', '5')", []any{"1", "2", "3", "4", "5"}},
		{"q('sequence', '5-8')", []any{"5", "6", "7", "8"}},
		{"q('sequence', '2-10/2')", []any{"2", "4", "6", "8", "10"}},
		{"q('sequence', '4:host%02d')", []any{"host01", "host02", "host03", "host04"}},
		{"q('sequence', 'start=5 end=11 stride=2 format=0x%02x')", []any{"0x05", "0x07", "0x09", "0x0b"}},
		{"q('sequence', 'count=5')", []any{"1", "2", "3", "4", "5"}},
		{"q('sequence', 'start=0x0f00 count=4 format=%04x')", []any{"0f00", "0f01", "0f02", "0f03"}},
		{"q('sequence', 'start=0 count=5 stride=2')", []any{"0", "2", "4", "6", "8"}},
		{"q('sequence', 'start=1 count=5 stride=2')", []any{"1", "3", "5", "7", "9"}},
		{"q('sequence', 'start=10 end=0 stride=-5')", []any{"10", "5", "0"}},
		{"q('items', [1, [2, [3]]], 4)", []any{1, []any{2, []any{3}}, 4}}, // terms spliced one level
		{"lookup('items', 'a', 'b')", "a,b"},
		{"lookup('items', [1])", 1},
		{"lookup('items', [1, 2])", []any{1, 2}},
		{"q('together', [1, 2], ['a'])", []any{[]any{1, "a"}, []any{2, nil}}},
		{"q('nested', ['x', 'y'], [1, 2])", []any{[]any{"x", 1}, []any{"x", 2}, []any{"y", 1}, []any{"y", 2}}},
		{"q('subelements', users, 'keys')", []any{
			[]any{map[string]any{"name": "a"}, "k1"}, []any{map[string]any{"name": "a"}, "k2"}}},
		{"q('dict', {'b': 2, 'a': 1})", []any{map[string]any{"key": "b", "value": 2}, map[string]any{"key": "a", "value": 1}}},
		{"q('indexed_items', ['a', 'b'])", []any{[]any{0, "a"}, []any{1, "b"}}},
		{"q('vars', 'nope', default=3)", []any{3}},
		{"lookup('pipe', 'printf \"a b  \\n\\n\"')", "a b"},
		{"q('lines', 'printf \"1\\n\\n2\"')", []any{"1", "", "2"}},
		{"lookup('password', '/dev/null length=7 chars=digits') | length", 7},
		{"lookup('file', 'missing', errors='ignore')", nil},
	} {
		got, err := e.Eval(c.src, s)
		if err != nil {
			t.Errorf("Eval(%q): %v", c.src, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Eval(%q) = %#v, want %#v", c.src, got, c.want)
		}
	}
	for src, want := range map[string]string{
		"q('sequence', 'start=5')":                             "must specify count or end",
		"q('sequence', 'end=1 count=2')":                       "can't specify both",
		"q('sequence', '1-5:%d%d')":                            "bad formatting string",
		"q('subelements', users, 'nokey')":                     "could not find 'nokey' key",
		"q('dict', [1])":                                       "with_dict expects a dict",
		"q('first_found', ['nope'])":                           "No file was found",
		"lookup('pipe', 'exit 3')":                             "returned 3",
		"lookup('password', '/dev/null encrypt=sha512_crypt')": "not supported",
		"lookup('vars', 'nope')":                               "No variable found with this name: nope",
		"lookup('file', 'x', nosuch=1)":                        "unexpected keyword argument 'nosuch'",
	} {
		if _, err := e.Eval(src, s); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Eval(%q): error %v, want one containing %q", src, err, want)
		}
	}
}

// TestPasswordFile: the first lookup creates the file (0600, directory
// 0700) with a password of the requested characters; later ones read it.
func TestPasswordFile(t *testing.T) {
	dir := t.TempDir()
	var secrets []string
	e := New(Options{BaseDir: dir, Secret: func(s string) { secrets = append(secrets, s) }})
	first, err := e.Eval("lookup('password', 'creds/db length=16 chars=ascii_lowercase,digits')", nil)
	if err != nil {
		t.Fatal(err)
	}
	pw := first.(string)
	if len(pw) != 16 || strings.Trim(pw, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
		t.Fatalf("password %q: want 16 lowercase letters and digits", pw)
	}
	st, err := os.Stat(filepath.Join(dir, "creds", "db"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("password file: %v, mode %v; want 0600", err, st.Mode())
	}
	if st, _ := os.Stat(filepath.Join(dir, "creds")); st.Mode().Perm() != 0o700 {
		t.Errorf("password directory mode %v, want 0700", st.Mode().Perm())
	}
	again, err := e.Eval("lookup('password', 'creds/db length=16')", nil)
	if err != nil || again != pw {
		t.Errorf("second lookup = %v, %v; want the stored %q", again, err, pw)
	}
	if len(secrets) != 2 || secrets[0] != pw {
		t.Errorf("the engine was told %d secrets, want the password twice", len(secrets))
	}
}

// TestVaultedLookupFile: a vaulted file opens with the run's passwords and
// its text becomes a secret; without a password the error says how to give
// one.
func TestVaultedLookupFile(t *testing.T) {
	dir := t.TempDir()
	data, err := vault.Encrypt([]byte("hidden text\n"), []byte("pw"), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "s.txt"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	var secrets []string
	keys := vault.NewKeyring(vault.Secret{ID: "default", Password: []byte("pw")})
	e := New(Options{BaseDir: dir, Decrypt: keys.Decrypt, Secret: func(s string) { secrets = append(secrets, s) }})
	for src, want := range map[string]string{"lookup('file', 's.txt')": "hidden text", "lookup('unvault', 's.txt')": "hidden text\n"} {
		if got, err := e.Eval(src, nil); err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", src, got, err, want)
		}
	}
	if !slices.Contains(secrets, "hidden text") {
		t.Errorf("secrets %q: the decrypted text is not among them", secrets)
	}
	_, err = New(Options{BaseDir: dir}).Eval("lookup('file', 's.txt')", nil)
	if err == nil || !strings.Contains(err.Error(), "--vault-password-file") {
		t.Errorf("without a password: %v, want the flags to give one", err)
	}
}
