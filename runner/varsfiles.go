package runner

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/ferry-sh/ferry/inventory"
	"github.com/ferry-sh/ferry/runner/template"
	"github.com/ferry-sh/ferry/vault"
)

// loadVarsFiles reads the play's vars_files, later files overriding earlier
// ones. Paths may use extra vars and play vars; they start at the playbook's
// directory. Values tagged !secret are masked in all output.
func (r *Runner) loadVarsFiles(play *Play) (map[string]any, error) {
	if len(play.VarsFiles) == 0 {
		return nil, nil
	}
	sc := varsFilesScope(r.engine, r.opts.ExtraVars, play, r.dir)
	sc.masker = r.opts.Masker
	out := map[string]any{}
	for _, name := range play.VarsFiles {
		path, err := varsFilePath(sc, r.dir, name)
		if err != nil {
			return nil, fmt.Errorf("%s: vars_files %q: %w", play.Pos, name, err)
		}
		vars, secrets, err := ReadVarsFile(r.opts.Vault, path)
		if err != nil {
			return nil, err
		}
		r.opts.Masker.Add(secrets...)
		for k, v := range vars {
			out[k] = v
		}
	}
	return out, nil
}

// varsFilesScope is what a vars_files path may use: the extra vars, the
// play's vars and playbook_dir. The run and Validate render with the same.
func varsFilesScope(engine *template.Engine, extraVars map[string]any, play *Play, dir string) *scope {
	magic := func(name string) (any, bool) {
		if name == "playbook_dir" {
			return playbookDir(dir), true
		}
		return nil, false
	}
	return &scope{engine: engine, layers: []map[string]any{extraVars, play.Vars}, magic: magic}
}

// varsFilePath renders a vars_files entry and makes it absolute from dir.
// An entry of several paths (Ansible's fallback list, kept joined by
// newlines) is the first of them that exists.
func varsFilePath(sc *scope, dir, name string) (string, error) {
	choices := strings.Split(name, "\n")
	var tried []string
	for _, choice := range choices {
		rendered, err := sc.render(choice)
		if err != nil {
			if len(choices) > 1 {
				continue // Ansible skips a choice whose variables are undefined
			}
			return "", err
		}
		path := fmt.Sprint(rendered)
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		if len(choices) == 1 || existingFile(path) != "" {
			return path, nil
		}
		tried = append(tried, path)
	}
	return "", fmt.Errorf("none of the files exists: %s", strings.Join(tried, ", "))
}

// ReadVarsFile reads a YAML mapping of variables (vars_files, -e @file,
// --secrets) with the inventory's typing rules, and returns the values tagged
// !secret and the decrypted ones as well (keys open vaulted files and !vault
// values; nil when no vault password was given). Its errors are validation
// errors: nothing has run yet.
func ReadVarsFile(keys *vault.Keyring, path string) (map[string]any, []string, error) {
	vars, secrets, err := inventory.ReadVarsFileVault(keys, path)
	if err != nil {
		return nil, nil, Diags{{Msg: err.Error(), Hint: "fix the variables file"}}.Err()
	}
	return vars, secrets, nil
}
