package inventory

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// varsExtensions are tried in this order after the bare name, as Ansible's
// DataLoader.find_vars_files does; the first that exists is the only one used.
var varsExtensions = []string{"", ".yml", ".yaml", ".json"}

// varsDir holds the group_vars/ and host_vars/ found in one directory,
// already merged per group and per host.
type varsDir struct {
	dir   string
	group map[string]map[string]any
	host  map[string]map[string]any
}

// loadVarsDir reads dir/group_vars and dir/host_vars for the given group and
// host names. A missing directory is no error.
func (rd *reader) loadVarsDir(dir string, groups, hosts []string) (*varsDir, error) {
	vd := &varsDir{dir: dir}
	var errs []error
	var err error
	vd.group, err = rd.loadEntities(filepath.Join(dir, "group_vars"), groups)
	if err != nil {
		errs = append(errs, err)
	}
	vd.host, err = rd.loadEntities(filepath.Join(dir, "host_vars"), hosts)
	if err != nil {
		errs = append(errs, err)
	}
	return vd, joinErrors(errs)
}

// loadEntities loads the vars of each named entity found in sub (a
// group_vars or host_vars directory). The directory is listed once, so the
// cost does not depend on how many names are asked for beyond a map lookup.
func (rd *reader) loadEntities(sub string, names []string) (map[string]map[string]any, error) {
	entries, err := os.ReadDir(sub)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		if fi, statErr := os.Stat(sub); statErr == nil && !fi.IsDir() {
			return nil, fmt.Errorf("%s is not a directory: group_vars and host_vars must be directories of vars files", sub)
		}
		return nil, fmt.Errorf("reading %s: %w", sub, err)
	}
	present := make(map[string]bool, len(entries))
	for _, e := range entries {
		present[e.Name()] = true
	}
	out := map[string]map[string]any{}
	var errs []error
	for _, name := range names {
		// Ansible skips names that look like absolute paths (chroot hosts).
		if strings.HasPrefix(name, "/") {
			continue
		}
		files, err := varsFilesFor(sub, name, present)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		merged, err := rd.loadVarsFiles(files)
		if err != nil {
			errs = append(errs, err)
		}
		if len(merged) > 0 {
			out[name] = merged
		}
	}
	return out, joinErrors(errs)
}

// varsFilesFor finds the vars files of one group or host: NAME, NAME.yml,
// NAME.yaml or NAME.json (the first that exists), where a directory NAME/
// contributes all its files in lexical order.
func varsFilesFor(sub, name string, present map[string]bool) ([]string, error) {
	for _, ext := range varsExtensions {
		if !present[name+ext] {
			continue
		}
		path := filepath.Join(sub, name+ext)
		fi, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if fi.IsDir() {
			return dirVarsFiles(path)
		}
		return []string{path}, nil
	}
	return nil, nil
}

// dirVarsFiles lists a vars directory as Ansible does: sorted, skipping
// hidden files and backups (~), recursing into subdirectories without an
// extension, taking files with no extension or a YAML/JSON one.
func dirVarsFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", dir, err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, ".") || strings.HasSuffix(n, "~") {
			continue
		}
		path := filepath.Join(dir, n)
		fi, err := os.Stat(path)
		if err != nil {
			continue
		}
		ext := filepath.Ext(n)
		switch {
		case fi.IsDir() && ext == "":
			sub, err := dirVarsFiles(path)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
		case fi.Mode().IsRegular() && (ext == "" || ext == ".yml" || ext == ".yaml" || ext == ".json"):
			out = append(out, path)
		}
	}
	return out, nil
}

// loadVarsFiles merges the files in order; a later file replaces a variable
// of an earlier one (Ansible's default hash_behaviour=replace).
func (rd *reader) loadVarsFiles(files []string) (map[string]any, error) {
	merged := map[string]any{}
	var errs []error
	for _, f := range files {
		vars, err := rd.loadVarsFile(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for k, v := range vars {
			merged[k] = v
		}
	}
	return merged, joinErrors(errs)
}

func (rd *reader) loadVarsFile(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading vars file: %w", err)
	}
	data, vaulted, err := rd.open(path, data)
	if err != nil {
		return nil, err
	}
	return rd.varsData(path, data, vaulted)
}

// varsData reads variables from YAML text named path in messages.
func (rd *reader) varsData(path string, data []byte, vaulted bool) (map[string]any, error) {
	node, err := yamlDoc(path, data)
	if err != nil || node == nil {
		return nil, err
	}
	if node.Kind == yaml.ScalarNode && node.Tag == "!!null" {
		return nil, nil // an empty file, or one holding only ~
	}
	if node.Kind != yaml.MappingNode {
		return nil, errAt(path, node.Line, "a vars file must be a mapping of variable names to values, got %s", kindName(node))
	}
	c := rd.converter(path, data, vaulted)
	vars := c.mapping(node, 0)
	rd.secrets = append(rd.secrets, c.secrets...)
	return vars, joinErrors(c.errs)
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias"
	}
	return fmt.Sprintf("the value %q", n.Value)
}

// AddVarsDir layers in the group_vars/ and host_vars/ of dir (a playbook's
// directory), as Ansible does for the playbook: they override the
// inventory's group_vars/ and host_vars/ at each level (see HostVars). Call it
// before resolving variables; it clears the variable cache.
func (inv *Inventory) AddVarsDir(dir string) error {
	rd := inv.reader()
	vd, err := rd.loadVarsDir(dir, inv.groupNamesAll(), inv.hostNamesAll())
	if err != nil {
		return err
	}
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.playDirs = append(inv.playDirs, vd)
	inv.addSecrets(rd.secrets)
	inv.groupCache, inv.hostCache = nil, nil
	return nil
}

func (inv *Inventory) groupNamesAll() []string {
	names := make([]string, 0, len(inv.groups))
	for _, g := range inv.groups {
		names = append(names, g.Name)
	}
	return names
}

// hostNamesAll lists the hosts, plus the localhost names so that
// host_vars/localhost applies to the implicit localhost.
func (inv *Inventory) hostNamesAll() []string {
	names := make([]string, 0, len(inv.hosts)+len(LocalhostNames))
	for _, h := range inv.hosts {
		names = append(names, h.Name)
	}
	for _, n := range LocalhostNames {
		if _, ok := inv.hostByName[n]; !ok {
			names = append(names, n)
		}
	}
	return names
}
