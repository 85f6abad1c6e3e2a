package runner

import (
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// loadVarsFiles reads the play's vars_files, later files overriding earlier
// ones. Paths may use extra vars and play vars; they start at the playbook's
// directory. Values tagged !secret are masked in all output.
func (r *Runner) loadVarsFiles(play *Play) (map[string]any, error) {
	if len(play.VarsFiles) == 0 {
		return nil, nil
	}
	sc := &scope{engine: r.engine, layers: []map[string]any{r.opts.ExtraVars, play.Vars}}
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
// --secrets). It returns the values tagged !secret as well.
func ReadVarsFile(path string) (map[string]any, []string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, Diags{{Pos: Pos{File: path}, Msg: "cannot read variables file: " + unwrapPathError(err), Hint: "check the path"}}.Err()
	}
	p := &parser{file: path, dir: filepath.Dir(path)}
	root, ok := p.document(data)
	if !ok {
		return nil, nil, p.diags.Err()
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return map[string]any{}, nil, nil
	}
	vars := p.vars(root)
	if err := p.diags.Err(); err != nil {
		return nil, nil, err
	}
	return vars, secretValues(root), nil
}

// secretValues collects the scalars tagged !secret under n.
func secretValues(n *yaml.Node) []string {
	var out []string
	if n.Kind == yaml.ScalarNode && n.Tag == "!secret" {
		out = append(out, n.Value)
	}
	for _, c := range n.Content {
		out = append(out, secretValues(c)...)
	}
	return out
}
