package vault

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeFile(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func noEnv(string) string { return "" }

func secretsOf(k *Keyring) [][2]string {
	var out [][2]string
	for _, s := range k.secrets {
		out = append(out, [2]string{s.ID, string(s.Password)})
	}
	return out
}

func TestLoadOrderAndSources(t *testing.T) {
	dir := t.TempDir()
	plainFile := writeFile(t, dir, "pw", "  file-pass \n", 0o600)
	script := writeFile(t, dir, "pw.sh", "#!/bin/sh\necho script-pass\n", 0o700)
	client := writeFile(t, dir, "keys-client.sh", "#!/bin/sh\n[ \"$1 $2\" = '--vault-id prod' ] && echo client-$2 && exit 0\nexit 2\n", 0o700)
	envFile := writeFile(t, dir, "envpw", "env-pass\n", 0o600)
	env := map[string]string{"ANSIBLE_VAULT_IDENTITY_LIST": "listed@" + plainFile + ", prod@" + client, "ANSIBLE_VAULT_PASSWORD_FILE": envFile}
	var asked []string
	k, err := Load(Sources{
		IDs:           []string{"dev@" + script, "ops@prompt"},
		PasswordFiles: []string{plainFile},
		Ask:           true,
		Getenv:        func(k string) string { return env[k] },
		Prompt: func(q string) ([]byte, error) {
			asked = append(asked, q)
			return []byte(" typed\n"), nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]string{
		{"listed", "file-pass"}, {"prod", "client-prod"}, // ANSIBLE_VAULT_IDENTITY_LIST first
		{"dev", "script-pass"}, {"ops", "typed"}, // --vault-id
		{"default", "file-pass"}, {"default", "env-pass"}, // --vault-password-file, then the env one
		{"default", "typed"}, // --ask-vault-pass
	}
	if got := secretsOf(k); !reflect.DeepEqual(got, want) {
		t.Errorf("secrets\n  %v\nwant\n  %v", got, want)
	}
	if want := []string{"Vault password (ops): ", "Vault password: "}; !reflect.DeepEqual(asked, want) {
		t.Errorf("prompts %q, want %q", asked, want)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	failing := writeFile(t, dir, "fail.sh", "#!/bin/sh\nexit 3\n", 0o700)
	client := writeFile(t, dir, "x-client", "#!/bin/sh\nexit 2\n", 0o700)
	empty := writeFile(t, dir, "empty", "\n", 0o600)
	for name, tc := range map[string]struct {
		src  Sources
		want string
	}{
		"missing file": {Sources{PasswordFiles: []string{dir + "/nope"}}, "vault password file " + dir + "/nope (vault id default): no such file or directory"},
		"script fails": {Sources{IDs: []string{failing}}, "vault password script " + failing + " exited with 3 (vault id default); run it by hand to see why"},
		"client no id": {Sources{IDs: []string{"qa@" + client}}, "vault password client script " + client + " has no password for vault id qa (exit 2)"},
		"empty":        {Sources{IDs: []string{empty}}, "vault password file " + empty + " is empty: put the password in it"},
		"no terminal":  {Sources{Ask: true}, "a vault password prompt (vault id default) needs a terminal: use --vault-password-file FILE or --vault-id default@FILE instead"},
		"semicolon":    {Sources{IDs: []string{"a;b@" + empty}}, "--vault-id a;b@" + empty + ": the character ';' is not allowed in a vault id"},
	} {
		tc.src.Getenv = noEnv
		_, err := Load(tc.src)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: error\n  %v\nwant\n  %s", name, err, tc.want)
		}
	}
}

func TestVaultedPasswordFile(t *testing.T) {
	dir := t.TempDir()
	first := writeFile(t, dir, "first", "outer\n", 0o600)
	inner, err := Encrypt([]byte("inner-pass\n"), []byte("outer"), "")
	if err != nil {
		t.Fatal(err)
	}
	second := writeFile(t, dir, "second", string(inner), 0o600)
	k, err := Load(Sources{IDs: []string{first, "inner@" + second}, Getenv: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	if got := secretsOf(k)[1]; got != [2]string{"inner", "inner-pass"} {
		t.Errorf("secret %v", got)
	}
}

func TestPromptForEncryptConfirms(t *testing.T) {
	answers := []string{"one", "two"}
	_, err := LoadForEncrypt(Sources{Ask: true, Getenv: noEnv, Prompt: func(q string) ([]byte, error) {
		a := answers[0]
		answers = answers[1:]
		return []byte(a), nil
	}})
	if err == nil || err.Error() != "the vault passwords do not match" {
		t.Errorf("error %v", err)
	}
}

func TestEncryptSecretChoice(t *testing.T) {
	k := NewKeyring(Secret{ID: "dev", Password: []byte("d")}, Secret{ID: "prod", Password: []byte("p")})
	if _, err := k.EncryptSecret(""); err == nil || !strings.Contains(err.Error(), "choose one with --encrypt-vault-id") {
		t.Errorf("error %v", err)
	}
	if s, err := k.EncryptSecret("prod"); err != nil || string(s.Password) != "p" {
		t.Errorf("%v %v", s, err)
	}
	if _, err := (&Keyring{}).EncryptSecret(""); !errors.Is(err, ErrNoPassword) {
		t.Errorf("error %v", err)
	}
}
