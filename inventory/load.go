package inventory

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ferry-sh/ferry/vault"
)

// ignoredInDir matches the names Ansible skips when an inventory source is a
// directory: hidden files, group_vars, host_vars, vars_plugins, and files
// with its default INVENTORY_IGNORE_EXTS. Note that this includes .ini and
// .cfg: inside an inventory directory, name INI files without an extension
// (hosts) or they are skipped, exactly as Ansible skips them.
var ignoredInDir = regexp.MustCompile(`^\.|^host_vars$|^group_vars$|^vars_plugins$|` +
	`(?:\.pyc|\.pyo|\.swp|\.bak|~|\.rpm|\.md|\.txt|\.rst|\.orig|\.ini|\.cfg|\.retry)$`)

// Load reads inventory sources and merges them in order, as repeated -i
// options do in Ansible. A source is an inventory file (YAML, JSON or INI), a
// directory (every inventory file in it, recursively, in name order), or a
// comma-separated host list such as "web1,web2:2222," when no such path
// exists. group_vars/ and host_vars/ next to each file (or inside each
// directory source) are loaded too. All errors are returned together, each
// naming its file and line.
func Load(sources ...string) (*Inventory, error) {
	return LoadVault(nil, sources...)
}

// LoadVault is Load with the vault passwords that open vaulted inventory
// files, group_vars/host_vars files and !vault values. Every decrypted value
// is a secret (see Secrets). keys may be nil: vaulted data is then an error
// that says how to give a password.
func LoadVault(keys *vault.Keyring, sources ...string) (*Inventory, error) {
	inv := newInventory()
	inv.keys = keys
	var errs []error
	var dirs []string
	for _, src := range sources {
		fi, err := os.Stat(src)
		switch {
		case err != nil && strings.Contains(src, ",") && os.IsNotExist(err):
			errs = appendErr(errs, hostListSource(inv, src))
		case err != nil:
			errs = append(errs, fmt.Errorf("inventory source %s: %w: pass an existing file or directory with -i, or a host list like host1,host2,", src, unwrapPathError(err)))
		case fi.IsDir():
			errs = appendErr(errs, inv.loadDir(src))
			dirs = append(dirs, src)
		default:
			errs = appendErr(errs, inv.loadFile(src))
			dirs = append(dirs, filepath.Dir(src))
		}
	}
	if len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	inv.reconcile()
	if err := inv.loadInventoryVarsDirs(dirs); err != nil {
		return nil, err
	}
	return inv, nil
}

func appendErr(errs []error, err error) []error {
	if err != nil {
		return append(errs, err)
	}
	return errs
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// loadInventoryVarsDirs loads group_vars/host_vars of every source directory,
// in source order. A directory named twice is read once but applied at each
// of its places, as Ansible applies it.
func (inv *Inventory) loadInventoryVarsDirs(dirs []string) error {
	loaded := map[string]*varsDir{}
	groups, hosts := inv.groupNamesAll(), inv.hostNamesAll()
	var errs []error
	for _, dir := range dirs {
		key := canonicalDir(dir)
		vd, ok := loaded[key]
		if !ok {
			rd := inv.reader()
			var err error
			vd, err = rd.loadVarsDir(dir, groups, hosts)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			inv.addSecrets(rd.secrets)
			loaded[key] = vd
		}
		inv.invDirs = append(inv.invDirs, vd)
	}
	return joinErrors(errs)
}

func canonicalDir(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	return dir
}

// loadDir parses every inventory file in dir, recursively, in name order.
func (inv *Inventory) loadDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("reading inventory directory %s: %w", dir, err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	var errs []error
	for _, name := range names {
		if ignoredInDir.MatchString(name) {
			continue
		}
		path := filepath.Join(dir, name)
		fi, err := os.Stat(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("inventory file %s: %w", path, unwrapPathError(err)))
			continue
		}
		if fi.IsDir() {
			errs = appendErr(errs, inv.loadDir(path))
		} else {
			errs = appendErr(errs, inv.loadFile(path))
		}
	}
	return joinErrors(errs)
}

// loadFile parses one inventory file. The format follows Ansible's plugin
// order: .yml, .yaml and .json are YAML; a file without extension is YAML
// when it holds a YAML mapping and INI otherwise; any other name is INI.
func (inv *Inventory) loadFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading inventory file %s: %w", path, unwrapPathError(err))
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode()&0o111 != 0 && strings.HasPrefix(string(data), "#!") {
		return errAt(path, 1, "executable inventory scripts are not supported: write the hosts into a YAML or INI inventory")
	}
	rd := inv.reader()
	data, vaulted, err := rd.open(path, data)
	if err != nil {
		return err
	}
	switch ext := strings.ToLower(filepath.Ext(path)); {
	case ext == ".yml" || ext == ".yaml" || ext == ".json":
		return parseYAMLInventory(inv, rd.converter(path, data, vaulted), data)
	case ext == "" && looksLikeYAMLInventory(path, data):
		return parseYAMLInventory(inv, rd.converter(path, data, vaulted), data)
	}
	return parseINI(inv, path, data, vaulted)
}

// looksLikeYAMLInventory reports whether data parses as a YAML mapping,
// which is how Ansible's yaml plugin claims an extensionless file.
func looksLikeYAMLInventory(path string, data []byte) bool {
	root, err := yamlDoc(path, data)
	return err == nil && root != nil && root.Kind == yaml.MappingNode
}
