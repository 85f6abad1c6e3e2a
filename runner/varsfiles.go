package runner

import (
	"fmt"
	"path/filepath"

	"github.com/ferry-sh/ferry/inventory"
)

// loadVarsFiles reads the play's vars_files, later files overriding earlier
// ones. Paths may use extra vars and play vars; they start at the playbook's
// directory. Values tagged !secret are masked in all output.
func (r *Runner) loadVarsFiles(play *Play) (map[string]any, error) {
	if len(play.VarsFiles) == 0 {
		return nil, nil
	}
	sc := &scope{engine: r.engine, layers: []map[string]any{r.opts.ExtraVars, play.Vars}, masker: r.opts.Masker}
	out := map[string]any{}
	for _, name := range play.VarsFiles {
		rendered, err := sc.render(name)
		if err != nil {
			return nil, fmt.Errorf("%s: vars_files %q: %w", play.Pos, name, err)
		}
		path := fmt.Sprint(rendered)
		if !filepath.IsAbs(path) {
			path = filepath.Join(r.dir, path)
		}
		vars, secrets, err := ReadVarsFile(path)
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

// ReadVarsFile reads a YAML mapping of variables (vars_files, -e @file,
// --secrets) with the inventory's typing rules, and returns the values tagged
// !secret as well. Its errors are validation errors: nothing has run yet.
func ReadVarsFile(path string) (map[string]any, []string, error) {
	vars, secrets, err := inventory.ReadVarsFile(path)
	if err != nil {
		return nil, nil, Diags{{Msg: err.Error(), Hint: "fix the variables file"}}.Err()
	}
	return vars, secrets, nil
}
