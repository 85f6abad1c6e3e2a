package vault

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The files in testdata were written by ansible-vault 2.14 (Debian's
// ansible-core): v11* with --vault-password-file pw-default.txt (format
// 1.1), v12-prod.yml and inline12.txt with --vault-id prod@pw-prod.txt
// (format 1.2), inline*.txt by encrypt_string.

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func password(t *testing.T, name string) []byte {
	return bytes.TrimSpace(readTestdata(t, name))
}

func TestDecryptFilesMadeByAnsibleVault(t *testing.T) {
	for _, tc := range []struct{ file, pw, plain, id string }{
		{"v11.yml", "pw-default.txt", "plain.yml", ""},
		{"v12-prod.yml", "pw-prod.txt", "plain.yml", "prod"},
		{"v11-binary.bin", "pw-default.txt", "binary.bin", ""},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data := readTestdata(t, tc.file)
			env, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			if env.ID != tc.id {
				t.Errorf("vault id %q, want %q", env.ID, tc.id)
			}
			got, err := Decrypt(data, password(t, tc.pw))
			if err != nil {
				t.Fatal(err)
			}
			if want := readTestdata(t, tc.plain); !bytes.Equal(got, want) {
				t.Errorf("plaintext %q, want %q", got, want)
			}
		})
	}
	got, err := Decrypt(readTestdata(t, "v11-empty.txt"), password(t, "pw-default.txt"))
	if err != nil || len(got) != 0 {
		t.Errorf("empty file: %q, %v", got, err)
	}
}

func TestDecryptInlineValuesMadeByAnsibleVault(t *testing.T) {
	for file, want := range map[string]string{"inline11.txt": "tok-ansible-inline-1", "inline12.txt": "tok-ansible-inline-2"} {
		var doc map[string]yaml.Node
		if err := yaml.Unmarshal(readTestdata(t, file), &doc); err != nil {
			t.Fatal(err)
		}
		node := doc["api_token"]
		if node.Tag != "!vault" {
			t.Fatalf("%s: tag %q", file, node.Tag)
		}
		k := NewKeyring(Secret{Password: password(t, "pw-default.txt")}, Secret{ID: "prod", Password: password(t, "pw-prod.txt")})
		got, err := k.Decrypt([]byte(node.Value), file)
		if err != nil || string(got) != want {
			t.Errorf("%s: %q, %v; want %q", file, got, err, want)
		}
	}
}

func TestWrongPasswordNamesTheFile(t *testing.T) {
	k := NewKeyring(Secret{Password: []byte("not-it")}, Secret{ID: "dev", Password: []byte("nor-this")})
	_, err := k.Decrypt(readTestdata(t, "v12-prod.yml"), "group_vars/all.yml")
	want := `group_vars/all.yml: decryption failed: none of the vault passwords given (vault ids default, dev) opens it (its vault id is "prod"); give the password it was encrypted with`
	if err == nil || err.Error() != want {
		t.Errorf("error:\n  %v\nwant\n  %s", err, want)
	}
	if _, err := Decrypt(readTestdata(t, "v11.yml"), []byte("nope")); !errors.Is(err, ErrWrongPassword) {
		t.Errorf("error %v, want ErrWrongPassword", err)
	}
}

func TestNoPasswordSaysHowToGiveOne(t *testing.T) {
	var k *Keyring
	_, err := k.Decrypt(readTestdata(t, "v11.yml"), "host_vars/db.yml")
	if !errors.Is(err, ErrNoPassword) || !strings.HasPrefix(err.Error(), "host_vars/db.yml is encrypted with ansible-vault and no vault password was given: pass --vault-password-file") {
		t.Errorf("error %v", err)
	}
}

func TestKeyringTriesTheMatchingIDFirst(t *testing.T) {
	k := NewKeyring(Secret{ID: "dev", Password: []byte("wrong")}, Secret{ID: "prod", Password: password(t, "pw-prod.txt")})
	_, s, err := k.DecryptWithSecret(readTestdata(t, "v12-prod.yml"), "f")
	if err != nil || s.ID != "prod" {
		t.Errorf("secret %q, %v", s.ID, err)
	}
	// The id in the header is only a hint (Ansible does not sign it): a
	// secret under another label still opens the data.
	k = NewKeyring(Secret{ID: "other", Password: password(t, "pw-prod.txt")})
	if _, err := k.Decrypt(readTestdata(t, "v12-prod.yml"), "f"); err != nil {
		t.Error(err)
	}
}

func TestMalformedData(t *testing.T) {
	for name, data := range map[string]string{
		"no cipher":   "$ANSIBLE_VAULT;1.1\n6162\n",
		"cipher":      "$ANSIBLE_VAULT;1.1;AES\n6162\n",
		"not hex":     "$ANSIBLE_VAULT;1.1;AES256\nzz\n",
		"truncated":   "$ANSIBLE_VAULT;1.1;AES256\n" + strings.Join(strings.Split(string(readTestdata(t, "v11.yml")), "\n")[1:3], "\n") + "\n",
		"inner short": "$ANSIBLE_VAULT;1.1;AES256\n6162\n",
	} {
		_, err := NewKeyring(Secret{Password: []byte("x")}).Decrypt([]byte(data), "f.yml")
		var fe *FormatError
		if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), "f.yml: malformed vault data: ") {
			t.Errorf("%s: error %v, want a FormatError naming f.yml", name, err)
		}
	}
}

// TestFormatIsAnsibles checks the bytes against ansible-core's own writer:
// with the same salt, the output is identical (Ansible's encrypt takes a
// salt argument; the Python below calls it).
func TestFormatIsAnsibles(t *testing.T) {
	python := requireAnsible(t, "python3")
	salt := []byte("0123456789abcdef0123456789abcdef")
	plain := []byte("line one\nline two: é\n")
	script := `
import sys
from ansible.parsing.vault import VaultLib, VaultSecret
out = VaultLib().encrypt(sys.argv[1].encode(), VaultSecret(sys.argv[2].encode()), vault_id=sys.argv[3], salt=sys.argv[4].encode())
sys.stdout.buffer.write(out)
`
	for _, id := range []string{"default", "prod"} {
		want, err := exec.Command(python, "-c", script, string(plain), "pa55", id, string(salt)).Output()
		if err != nil {
			t.Fatal(err)
		}
		got, err := encryptWithSalt(plain, []byte("pa55"), id, salt)
		if err != nil {
			t.Fatal(err)
		}
		// ferry, as a file writer, ends the last line with a newline;
		// ansible-core's VaultLib.encrypt does too since 2.14 (older ones
		// did not, and ansible-vault reads both).
		if string(got) != strings.TrimSuffix(string(want), "\n")+"\n" {
			t.Errorf("id %s:\nferry:\n%s\nansible:\n%s", id, got, want)
		}
	}
}

// TestAnsibleVaultDecryptsWhatFerryEncrypts hands ferry's output to the
// real ansible-vault.
func TestAnsibleVaultDecryptsWhatFerryEncrypts(t *testing.T) {
	av := requireAnsible(t, "ansible-vault")
	dir := t.TempDir()
	plain := append([]byte("secret: from ferry\n"), bytes.Repeat([]byte("0123456789"), 30)...)
	for _, id := range []string{"", "prod"} {
		enc, err := Encrypt(plain, []byte("ferry-pass"), id)
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(dir, "enc"+id)
		pw := filepath.Join(dir, "pw")
		os.WriteFile(f, enc, 0o600)
		os.WriteFile(pw, []byte("ferry-pass\n"), 0o600)
		slug := pw
		if id != "" {
			slug = id + "@" + pw
		}
		cmd := exec.Command(av, "decrypt", "--vault-id", slug, "--output", "-", f)
		cmd.Env = append(os.Environ(), "ANSIBLE_LOCAL_TEMP="+t.TempDir())
		out, err := cmd.Output()
		if err != nil || !bytes.Equal(out, plain) {
			t.Errorf("id %q: ansible-vault decrypt: %v\n%q", id, err, out)
		}
		if id != "" && !strings.HasPrefix(string(enc), "$ANSIBLE_VAULT;1.2;AES256;prod\n") {
			t.Errorf("header %q", strings.SplitN(string(enc), "\n", 2)[0])
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 15, 16, 17, 1000} {
		plain := bytes.Repeat([]byte{'x'}, n)
		enc, err := Encrypt(plain, []byte("pw"), "")
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(enc)), "\n") {
			if len(line) > 80 {
				t.Errorf("line of %d columns", len(line))
			}
		}
		got, err := Decrypt(enc, []byte("pw"))
		if err != nil || !bytes.Equal(got, plain) {
			t.Errorf("%d bytes: %q %v", n, got, err)
		}
	}
}

func requireAnsible(t *testing.T, bin string) string {
	t.Helper()
	path, err := exec.LookPath(bin)
	if err == nil && bin == "python3" {
		path, err = ansiblePython()
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s with ansible-core is needed (make deps installs it): %v", bin, err)
		}
		t.Skipf("%s with ansible-core not installed: %v", bin, err)
	}
	return path
}

// ansiblePython is the interpreter ansible-playbook runs under (its shebang):
// the first python3 on the PATH may be another one (pyenv) without ansible.
func ansiblePython() (string, error) {
	ap, err := exec.LookPath("ansible-playbook")
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(ap)
	if err != nil {
		return "", err
	}
	first, _, _ := strings.Cut(string(data), "\n")
	fields := strings.Fields(strings.TrimPrefix(first, "#!"))
	if len(fields) == 0 {
		return "", fmt.Errorf("%s: no interpreter line", ap)
	}
	python := fields[0]
	if filepath.Base(python) == "env" && len(fields) > 1 {
		python = fields[1]
	}
	if err := exec.Command(python, "-c", "import ansible.parsing.vault").Run(); err != nil {
		return "", fmt.Errorf("%s (ansible-playbook's interpreter): %w", python, err)
	}
	return python, nil
}
