package runner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/ferry-sh/ferry/inventory"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/vault"
)

// include_vars lives in the runner, not in modules/, because it reads
// variables files as vars_files do (typing, !secret, vault) with the
// runner's reader; it is registered as a controller module so that loops,
// when and register work on it as on any task.
func init() { modules.Register(includeVarsModule{}) }

type includeVarsModule struct{}

// keyringKey is where the runner leaves the run's vault keyring in each
// host's cache, for include_vars: modules see the host, not the runner.
type keyringKey struct{}

func hostKeyring(h *modules.Host) *vault.Keyring {
	if h.Cache == nil {
		return nil
	}
	k, _ := h.Cache.Load(keyringKey{})
	keys, _ := k.(*vault.Keyring)
	return keys
}

func (includeVarsModule) Spec() modules.Spec {
	return modules.Spec{
		Name:    "include_vars",
		Summary: "Load variables from a YAML/JSON file or a directory of them, for the rest of the play",
		Args: []modules.Arg{
			{Name: "file", Type: modules.String, Aliases: []string{"_raw_params"}, Doc: "The file; a relative path is looked up in the role's (or playbook's) vars/, then beside it."},
			{Name: "dir", Type: modules.String, Doc: "A directory whose files are all loaded, in name order."},
			{Name: "name", Type: modules.String, Doc: "Put the variables under this one name instead of at the top level."},
			{Name: "files_matching", Type: modules.String, Doc: "With dir: only files whose name matches this regular expression."},
			{Name: "ignore_files", Type: modules.List, Doc: "With dir: file names (regular expressions) to skip."},
			{Name: "extensions", Type: modules.List, Default: []any{"yaml", "yml", "json"}, Doc: "With dir: the file extensions loaded."},
			{Name: "depth", Type: modules.Int, Default: 0, Doc: "With dir: how deep to descend (0: no limit)."},
			{Name: "ignore_unknown_extensions", Type: modules.Bool, Doc: "With dir: skip other files instead of failing."},
		},
		FreeForm:   "file",
		Exclusive:  [][]string{{"file", "dir"}},
		Check:      modules.CheckSupported,
		Controller: true,
	}
}

func (includeVarsModule) Run(_ context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	files, err := includeVarsFiles(h.BaseDir, args)
	if err != nil {
		return modules.Result{}, err
	}
	vars := map[string]any{}
	for _, f := range files {
		v, secrets, err := ReadVarsFile(hostKeyring(h), f)
		if err != nil {
			return modules.Result{}, err
		}
		for _, s := range secrets {
			if h.Secret != nil {
				h.Secret(s)
			}
		}
		for k, val := range v {
			vars[k] = val
		}
	}
	if name := args.String("name"); name != "" {
		vars = map[string]any{name: vars}
	}
	loaded := make([]any, len(files))
	for i, f := range files {
		loaded[i] = f
	}
	return modules.Result{Facts: vars, Data: map[string]any{"ansible_facts": vars, "ansible_included_var_files": loaded}}, nil
}

// includeVarsFiles lists the files to read: the one file, found in base/vars
// then base; or the directory's matching files in name order.
func includeVarsFiles(base string, args modules.Args) ([]string, error) {
	if dir := args.String("dir"); dir != "" {
		return varsDirFiles(controllerPath(base, dir), args)
	}
	file := args.String("file")
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

func varsDirFiles(dir string, args modules.Args) ([]string, error) {
	var match *regexp.Regexp
	if m := args.String("files_matching"); m != "" {
		var err error
		if match, err = regexp.Compile(m); err != nil {
			return nil, fmt.Errorf("files_matching: %v", err)
		}
	}
	var ignore []*regexp.Regexp
	for _, s := range args.Strings("ignore_files") {
		re, err := regexp.Compile(s)
		if err != nil {
			return nil, fmt.Errorf("ignore_files: %v", err)
		}
		ignore = append(ignore, re)
	}
	exts := args.Strings("extensions")
	if len(exts) == 0 {
		exts = []string{"yaml", "yml", "json"}
	}
	depth := args.Int("depth")
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
			if args.Bool("ignore_unknown_extensions") {
				return nil
			}
			return fmt.Errorf("%s does not have a valid extension (%s)", path, strings.Join(exts, ", "))
		}
		out = append(out, path)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("include_vars dir: %v", unwrapPathError(err))
	}
	sort.Strings(out)
	return out, nil
}

// includedVarNames adds to known the names that include_vars tasks define,
// reading the files they name. It reports true when one names its file
// with a template, so that the names are known only at run time.
func includedVarNames(pb *Playbook, keys *vault.Keyring, known map[string]bool) bool {
	unknowable := false
	for _, play := range pb.Plays {
		play.AllTasks(func(t *Task, _ bool) {
			if t.Module != "include_vars" {
				return
			}
			if name, ok := t.Args["name"].(string); ok && name != "" {
				known[name] = true
				return
			}
			base := play.Dir
			if t.Role != nil {
				base = t.Role.Path
			}
			args := modules.Args(t.Args)
			if hasTemplate(map[string]any(t.Args)) {
				unknowable = true
				return
			}
			files, err := includeVarsFiles(base, args)
			if err != nil {
				return // reported when the task runs, as Ansible does
			}
			for _, f := range files {
				vars, _, _ := ReadVarsFile(keys, f)
				for k := range vars {
					known[k] = true
				}
			}
		})
	}
	return unknowable
}

func inventoryKeyring(inv *inventory.Inventory) *vault.Keyring {
	if inv == nil {
		return nil
	}
	return inv.Vault()
}
