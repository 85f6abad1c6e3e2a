package control

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/ferry-sh/ferry/internal/keyorder"
	"github.com/ferry-sh/ferry/inventory"
	"github.com/ferry-sh/ferry/modules"
)

// include_vars is Ansible's: a controller module (an action plugin there)
// that reads variables files as vars_files are read (typing, !secret,
// vault), so that loops, when and register work on it as on any task.
func init() { modules.Register(includeVarsModule{}) }

type includeVarsModule struct{}

type includeVarsOptions struct {
	File                    string   `opt:"file" aliases:"_raw_params" doc:"The file; a relative path is looked up in the role's (or playbook's) vars/, then beside it."`
	Dir                     string   `opt:"dir" doc:"A directory whose files are all loaded, in name order."`
	Name                    string   `opt:"name" doc:"Put the variables under this one name instead of at the top level."`
	FilesMatching           string   `opt:"files_matching" doc:"With dir: only files whose name matches this regular expression."`
	IgnoreFiles             []string `opt:"ignore_files" doc:"With dir: file names (regular expressions) to skip."`
	Extensions              []string `opt:"extensions" default:"yaml,yml,json" doc:"With dir: the file extensions loaded."`
	Depth                   int      `opt:"depth" default:"0" doc:"With dir: how deep to descend (0: no limit)."`
	IgnoreUnknownExtensions bool     `opt:"ignore_unknown_extensions" doc:"With dir: skip other files instead of failing."`
}

func (includeVarsModule) Spec() modules.Spec {
	return modules.Spec{
		Name:       "include_vars",
		Returns:    []string{"ansible_included_var_files", "ansible_facts"}, // the order of Ansible's result
		Summary:    "Load variables from a YAML/JSON file or a directory of them, for the rest of the play",
		Args:       modules.OptionsOf[includeVarsOptions](),
		FreeForm:   "file",
		Exclusive:  [][]string{{"file", "dir"}},
		Check:      modules.CheckSupported,
		Controller: true,
	}
}

func (includeVarsModule) Run(_ context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[includeVarsOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	files, err := includeVarsFiles(h.BaseDir, o)
	if err != nil {
		return modules.Result{}, err
	}
	vars := keyorder.NewBuilder(0) // keys in file order, files in name order: dict.update's
	for _, f := range files {
		v, secrets, err := inventory.ReadVarsFileVault(h.Vault, f)
		if err != nil {
			return modules.Result{}, err
		}
		for _, s := range secrets {
			h.AddSecret(s)
		}
		for _, k := range keyorder.Keys(v) {
			vars.Put(k, v[k])
		}
	}
	facts := vars.Map()
	if name := o.Name; name != "" {
		facts = map[string]any{name: facts}
	}
	loaded := make([]any, len(files))
	for i, f := range files {
		loaded[i] = f
	}
	return modules.Result{Facts: facts, Data: map[string]any{"ansible_facts": facts, "ansible_included_var_files": loaded}}, nil
}

// VarsFiles lists the files an include_vars task reads (the runner reads
// them before the run too, to know the names they define): the one file,
// found in base/vars then base; or the directory's matching files in name
// order.
func (includeVarsModule) VarsFiles(base string, args modules.Args) ([]string, error) {
	o, err := modules.Decode[includeVarsOptions](args)
	if err != nil {
		return nil, err
	}
	return includeVarsFiles(base, o)
}

func includeVarsFiles(base string, o includeVarsOptions) ([]string, error) {
	if dir := o.Dir; dir != "" {
		return varsDirFiles(controllerPath(base, dir), o)
	}
	file := o.File
	if file == "" {
		return nil, fmt.Errorf("include_vars needs a file or dir")
	}
	path := controllerPath(base, file)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("could not find or access %q (looked in %s/vars and %s)", file, base, base)
	}
	return []string{path}, nil
}

// controllerPath resolves a relative path as include_vars does: base/vars
// first, then base.
func controllerPath(base, name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	for _, c := range []string{filepath.Join(base, "vars", name), filepath.Join(base, name)} {
		if _, err := os.Stat(c); err == nil {
			return c
		}
	}
	return filepath.Join(base, name)
}

func varsDirFiles(dir string, o includeVarsOptions) ([]string, error) {
	var match *regexp.Regexp
	if m := o.FilesMatching; m != "" {
		var err error
		if match, err = regexp.Compile(m); err != nil {
			return nil, fmt.Errorf("files_matching: %v", err)
		}
	}
	var ignore []*regexp.Regexp
	for _, s := range o.IgnoreFiles {
		re, err := regexp.Compile(s)
		if err != nil {
			return nil, fmt.Errorf("ignore_files: %v", err)
		}
		ignore = append(ignore, re)
	}
	exts := o.Extensions
	if len(exts) == 0 {
		exts = []string{"yaml", "yml", "json"}
	}
	depth := o.Depth
	var out []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if d.IsDir() {
			if depth > 0 && rel != "." && strings.Count(rel, string(filepath.Separator))+1 >= depth {
				return filepath.SkipDir
			}
			return nil
		}
		name := d.Name()
		if match != nil && !match.MatchString(name) || slices.ContainsFunc(ignore, func(re *regexp.Regexp) bool { return re.MatchString(name) }) {
			return nil
		}
		if !slices.Contains(exts, strings.TrimPrefix(filepath.Ext(name), ".")) {
			if o.IgnoreUnknownExtensions {
				return nil
			}
			return fmt.Errorf("%s does not have a valid extension (%s)", path, strings.Join(exts, ", "))
		}
		out = append(out, path)
		return nil
	})
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = fmt.Errorf("%s: %w", pe.Path, pe.Err)
		}
		return nil, fmt.Errorf("include_vars dir: %v", err)
	}
	sort.Strings(out)
	return out, nil
}
