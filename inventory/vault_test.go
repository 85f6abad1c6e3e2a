package inventory

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/vault"
)

// vaultTestdata holds files written by the real ansible-vault (see
// vault/vault_test.go): v11.yml with pw-default.txt, v12-prod.yml and
// inline12.txt with --vault-id prod@pw-prod.txt, inline11.txt with
// pw-default.txt.
var vaultTestdata, _ = filepath.Abs("../vault/testdata")

func vaultFile(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(vaultTestdata, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func testKeyring(t *testing.T) *vault.Keyring {
	k, err := vault.Load(vault.Sources{
		IDs:    []string{filepath.Join(vaultTestdata, "pw-default.txt"), "prod@" + filepath.Join(vaultTestdata, "pw-prod.txt")},
		Getenv: func(string) string { return "" },
	})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// indent puts the encrypt_string output (api_token: !vault |...) under a
// host at YAML depth 6.
func indent(s string) string {
	return "      " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n      ") + "\n"
}

// vaultInventory is an inventory using every form of vaulted data: whole
// group_vars and host_vars files (1.1 and 1.2) and an inline !vault value.
func vaultInventory(t *testing.T) string {
	return writeFiles(t, map[string]string{
		"inv.yml":            "all:\n  hosts:\n    db1:\n    web1:\n      plain: 1\n" + indent(vaultFile(t, "inline11.txt")),
		"group_vars/all.yml": vaultFile(t, "v11.yml"),
		"host_vars/db1.yml":  vaultFile(t, "v12-prod.yml"),
	})
}

func TestVaultedInventory(t *testing.T) {
	dir := vaultInventory(t)
	inv, err := LoadVault(testKeyring(t), filepath.Join(dir, "inv.yml"))
	if err != nil {
		t.Fatal(err)
	}
	web := inv.HostVars("web1")
	if web["api_token"] != "tok-ansible-inline-1" || web["db_password"] != "s3cr3t-from-ansible" || web["port"] != 5432 || web["plain"] != 1 {
		t.Errorf("web1 vars %v", web)
	}
	secrets := inv.Secrets()
	for _, want := range []string{"tok-ansible-inline-1", "s3cr3t-from-ansible", "5432"} {
		if !slices.Contains(secrets, want) {
			t.Errorf("secrets %q lack %q", secrets, want)
		}
	}
	for _, notSecret := range []string{"db_password", "port", "1"} {
		if slices.Contains(secrets, notSecret) {
			t.Errorf("secrets %q hold %q, a key or a plain value", secrets, notSecret)
		}
	}
	out, err := inv.HostJSON("web1")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "tok-ansible") || strings.Contains(string(out), "s3cr3t") {
		t.Errorf("--host shows a decrypted value:\n%s", out)
	}
	compareVaultedWithAnsible(t, dir, inv)
}

// compareVaultedWithAnsible checks the decrypted variables against
// ansible-inventory --host with the same passwords. Ansible prints an inline
// !vault value still encrypted ({"__ansible_vault": ...}); ferry's value is
// the plaintext encrypt_string was given.
func compareVaultedWithAnsible(t *testing.T, dir string, inv *Inventory) {
	bin, err := exec.LookPath("ansible-inventory")
	if err != nil {
		t.Log("ansible-inventory not installed: compared with the known plaintext only")
		return
	}
	for _, host := range []string{"web1", "db1"} {
		out := runAnsibleInventory(t, bin, []string{filepath.Join(dir, "inv.yml")}, "--host", host,
			"--vault-id", filepath.Join(vaultTestdata, "pw-default.txt"), "--vault-id", "prod@"+filepath.Join(vaultTestdata, "pw-prod.txt"))
		var want map[string]any
		if err := json.Unmarshal(out, &want); err != nil {
			t.Fatal(err)
		}
		got := inv.printableVars(host)
		for k, v := range inv.HostVars(host) {
			got[k] = v
		}
		if enc, ok := want["api_token"].(map[string]any); ok {
			plain, err := testKeyring(t).Decrypt([]byte(enc["__ansible_vault"].(string)), "ansible's api_token")
			if err != nil {
				t.Fatal(err)
			}
			want["api_token"] = string(plain)
		}
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if !reflect.DeepEqual(parseJSON(t, "ferry", g), parseJSON(t, "ansible", w)) {
			t.Errorf("%s: ferry\n%s\nansible-inventory\n%s", host, g, w)
		}
	}
}

func TestVaultErrors(t *testing.T) {
	dir := vaultInventory(t)
	inv := filepath.Join(dir, "inv.yml")
	_, err := Load(inv)
	for _, want := range []string{
		dir + "/inv.yml:6: the !vault value is encrypted with ansible-vault and no vault password was given: pass --vault-password-file FILE, --vault-id [LABEL@]FILE or --ask-vault-pass",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error\n  %v\nwant it to hold\n  %s", err, want)
		}
	}
	wrong := vault.NewKeyring(vault.Secret{Password: []byte("wrong")})
	_, err = LoadVault(wrong, inv)
	want := dir + "/inv.yml:6: the !vault value: decryption failed: none of the vault passwords given (vault ids default) opens it; give the password it was encrypted with"
	if err == nil || err.Error() != want {
		t.Errorf("error\n  %v\nwant\n  %s", err, want)
	}
	// The inline value opens; the group_vars file does not.
	only := vault.NewKeyring(vault.Secret{Password: []byte("hunter2-vault")})
	_, err = LoadVault(only, inv)
	want = dir + `/host_vars/db1.yml: decryption failed: none of the vault passwords given (vault ids default) opens it (its vault id is "prod"); give the password it was encrypted with`
	if err == nil || err.Error() != want {
		t.Errorf("error\n  %v\nwant\n  %s", err, want)
	}
}

func TestVaultedINIAndVarsFile(t *testing.T) {
	keys := vault.NewKeyring(vault.Secret{Password: []byte("pw")})
	ini, err := vault.Encrypt([]byte("[web]\nw1 token=ini-secret-1 flag=true\n[web:vars]\ngroup_token=ini-secret-2\n"), []byte("pw"), "")
	if err != nil {
		t.Fatal(err)
	}
	vars, err := vault.Encrypt([]byte("a: vars-secret\nb: [x1y2z3]\n"), []byte("pw"), "")
	if err != nil {
		t.Fatal(err)
	}
	dir := writeFiles(t, map[string]string{"hosts": string(ini), "extra.yml": string(vars)})
	inv, err := LoadVault(keys, filepath.Join(dir, "hosts"))
	if err != nil {
		t.Fatal(err)
	}
	if v := inv.HostVars("w1"); v["token"] != "ini-secret-1" || v["group_token"] != "ini-secret-2" || v["flag"] != "true" {
		t.Errorf("w1 vars %v", v)
	}
	if s := inv.Secrets(); !slices.Contains(s, "ini-secret-1") || !slices.Contains(s, "ini-secret-2") || slices.Contains(s, "true") {
		t.Errorf("secrets %q", s)
	}
	got, secrets, err := ReadVarsFileVault(keys, filepath.Join(dir, "extra.yml"))
	if err != nil || got["a"] != "vars-secret" || !slices.Contains(secrets, "vars-secret") || !slices.Contains(secrets, "x1y2z3") {
		t.Errorf("vars %v secrets %q err %v", got, secrets, err)
	}
}
