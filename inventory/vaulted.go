package inventory

import (
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/ferry-sh/ferry/vault"
)

// reader reads inventory and vars files: it opens vault-encrypted ones with
// the run's vault passwords and collects the values that must be masked.
type reader struct {
	keys    *vault.Keyring
	secrets []string
}

func (inv *Inventory) reader() *reader { return &reader{keys: inv.keys} }

// open decrypts data when it is a vault-encrypted file, as Ansible's
// DataLoader does for every file it reads.
func (rd *reader) open(path string, data []byte) (plain []byte, vaulted bool, err error) {
	if !vault.IsEncrypted(data) {
		return data, false, nil
	}
	plain, err = rd.keys.Decrypt(data, path)
	return plain, err == nil, err
}

// converter returns the YAML converter for a file; in a vaulted file every
// value is a secret.
func (rd *reader) converter(path string, data []byte, vaulted bool) *yamlConverter {
	return &yamlConverter{file: path, json: isJSON(data), keys: rd.keys, allSecret: vaulted}
}

// vaultValue decrypts an inline `!vault |` value. Ansible keeps it a
// string whatever it holds (AnsibleVaultEncryptedUnicode).
func (c *yamlConverter) vaultValue(n *yaml.Node) any {
	if n.Kind != yaml.ScalarNode {
		c.fail(n, "!vault applies to the text ansible-vault encrypt_string printed, not to a list or mapping")
		return nil
	}
	plain, err := c.keys.Decrypt([]byte(n.Value), fmt.Sprintf("%s:%d: the !vault value", c.file, n.Line))
	if err != nil {
		c.errs = append(c.errs, err)
		return nil
	}
	c.secrets = append(c.secrets, string(plain))
	return string(plain)
}

// recordSecret notes a scalar of a vaulted file as a secret.
func (c *yamlConverter) recordSecret(text string) {
	if c.allSecret && worthMasking(text) {
		c.secrets = append(c.secrets, text)
	}
}

// worthMasking leaves out booleans and nulls (true, no, ~...): they carry
// nothing to hide, and masking every "true" would garble the output.
func worthMasking(text string) bool {
	return !yamlBoolRE.MatchString(text) && !yamlNullRE.MatchString(text)
}
