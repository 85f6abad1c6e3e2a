package inventory

import "github.com/ferry-sh/ferry/vault"

// ReadVarsFile reads a YAML (or JSON) file of variables with the same typing
// rules as inventories: PyYAML's YAML 1.1, as Ansible reads vars files. It
// returns the values tagged !secret too. The playbook's vars_files, -e @file
// and --secrets use it, so that a value means the same wherever it is written.
func ReadVarsFile(path string) (vars map[string]any, secrets []string, err error) {
	return ReadVarsFileVault(nil, path)
}

// ReadVarsFileVault is ReadVarsFile for a file that may be vault-encrypted
// or hold !vault values, opened with keys; every decrypted value is returned
// among the secrets.
func ReadVarsFileVault(keys *vault.Keyring, path string) (vars map[string]any, secrets []string, err error) {
	rd := &reader{keys: keys}
	vars, err = rd.loadVarsFile(path)
	if vars == nil && err == nil {
		vars = map[string]any{}
	}
	return vars, rd.secrets, err
}

// ReadVarsText reads variables from YAML or JSON text (-e '{...}'), typed
// as ReadVarsFile types them, dicts in the text's order; name is the
// text's name in messages.
func ReadVarsText(name, text string) (vars map[string]any, err error) {
	vars, err = (&reader{}).varsData(name, []byte(text), false)
	if vars == nil && err == nil {
		vars = map[string]any{}
	}
	return vars, err
}

// ResolveYAML11 types a plain (unquoted, untagged) YAML scalar as PyYAML does:
// yes/no/on/off are booleans, 0755 is octal, 1:30 is sexagesimal.
func ResolveYAML11(s string) any { return resolveYAML11(s) }
