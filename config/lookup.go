package config

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/ini.v1"
)

// Lookup answers lookup('config', NAME) as ansible-core 2.14's config
// lookup does for the settings in the table below: the environment
// variable wins over the config file, which wins over Ansible's default
// (lib/ansible/config/base.yml), converted to the setting's type.
// A setting not in the table (one Ansible does not have, or one ferry does
// not read) is not found: the lookup then errors, skips or warns as its
// on_missing says, so a playbook never gets a value Ansible would not give.

// source is where Lookup reads: the config file read (nil when none), the
// environment and the directories relative paths start from.
type source struct {
	file      *ini.File
	dir       string // the config file's directory
	lookupEnv func(string) (string, bool)
	cwd, home string
}

// setting is one of Ansible's configuration settings.
type setting struct {
	typ string   // base.yml's type: "" (a string), integer, boolean, path, pathspec, pathlist
	def any      // the default; nil is Python's None
	ini []string // "section.key", in base.yml's order
	env []string
}

// settings are the ones ferry answers, with base.yml's definitions.
var settings = map[string]setting{
	"ANSIBLE_FORCE_COLOR":            {"boolean", false, []string{"defaults.force_color"}, []string{"ANSIBLE_FORCE_COLOR"}},
	"ANSIBLE_NOCOLOR":                {"boolean", false, []string{"defaults.nocolor"}, []string{"ANSIBLE_NOCOLOR", "NO_COLOR"}},
	"COLOR_CHANGED":                  {"", "yellow", []string{"colors.changed"}, []string{"ANSIBLE_COLOR_CHANGED"}},
	"COLOR_DEBUG":                    {"", "dark gray", []string{"colors.debug"}, []string{"ANSIBLE_COLOR_DEBUG"}},
	"COLOR_ERROR":                    {"", "red", []string{"colors.error"}, []string{"ANSIBLE_COLOR_ERROR"}},
	"COLOR_OK":                       {"", "green", []string{"colors.ok"}, []string{"ANSIBLE_COLOR_OK"}},
	"COLOR_SKIP":                     {"", "cyan", []string{"colors.skip"}, []string{"ANSIBLE_COLOR_SKIP"}},
	"COLOR_UNREACHABLE":              {"", "bright red", []string{"colors.unreachable"}, []string{"ANSIBLE_COLOR_UNREACHABLE"}},
	"COLOR_WARN":                     {"", "bright purple", []string{"colors.warn"}, []string{"ANSIBLE_COLOR_WARN"}},
	"DEFAULT_BECOME":                 {"boolean", false, []string{"privilege_escalation.become"}, []string{"ANSIBLE_BECOME"}},
	"DEFAULT_BECOME_METHOD":          {"", "sudo", []string{"privilege_escalation.become_method"}, []string{"ANSIBLE_BECOME_METHOD"}},
	"DEFAULT_BECOME_USER":            {"", "root", []string{"privilege_escalation.become_user"}, []string{"ANSIBLE_BECOME_USER"}},
	"DEFAULT_FORKS":                  {"integer", 5, []string{"defaults.forks"}, []string{"ANSIBLE_FORKS"}},
	"DEFAULT_GATHERING":              {"", "implicit", []string{"defaults.gathering"}, []string{"ANSIBLE_GATHERING"}},
	"COLLECTIONS_PATHS":              {"pathspec", "~/.ansible/collections:/usr/share/ansible/collections", []string{"defaults.collections_paths", "defaults.collections_path"}, []string{"ANSIBLE_COLLECTIONS_PATHS", "ANSIBLE_COLLECTIONS_PATH"}},
	"DEFAULT_HASH_BEHAVIOUR":         {"", "replace", []string{"defaults.hash_behaviour"}, []string{"ANSIBLE_HASH_BEHAVIOUR"}},
	"DEFAULT_HOST_LIST":              {"pathlist", "/etc/ansible/hosts", []string{"defaults.inventory"}, []string{"ANSIBLE_INVENTORY"}},
	"DEFAULT_JINJA2_NATIVE":          {"boolean", false, []string{"defaults.jinja2_native"}, []string{"ANSIBLE_JINJA2_NATIVE"}},
	"DEFAULT_KEEP_REMOTE_FILES":      {"boolean", false, []string{"defaults.keep_remote_files"}, []string{"ANSIBLE_KEEP_REMOTE_FILES"}},
	"DEFAULT_MANAGED_STR":            {"", "Ansible managed", []string{"defaults.ansible_managed"}, nil},
	"DEFAULT_MODULE_NAME":            {"", "command", []string{"defaults.module_name"}, nil},
	"DEFAULT_POLL_INTERVAL":          {"integer", 15, []string{"defaults.poll_interval"}, []string{"ANSIBLE_POLL_INTERVAL"}},
	"DEFAULT_PRIVATE_KEY_FILE":       {"path", nil, []string{"defaults.private_key_file"}, []string{"ANSIBLE_PRIVATE_KEY_FILE"}},
	"DEFAULT_PRIVATE_ROLE_VARS":      {"boolean", false, []string{"defaults.private_role_vars"}, []string{"ANSIBLE_PRIVATE_ROLE_VARS"}},
	"DEFAULT_REMOTE_PORT":            {"integer", nil, []string{"defaults.remote_port"}, []string{"ANSIBLE_REMOTE_PORT"}},
	"DEFAULT_REMOTE_USER":            {"", nil, []string{"defaults.remote_user"}, []string{"ANSIBLE_REMOTE_USER"}},
	"DEFAULT_ROLES_PATH":             {"pathspec", "~/.ansible/roles:/usr/share/ansible/roles:/etc/ansible/roles", []string{"defaults.roles_path"}, []string{"ANSIBLE_ROLES_PATH"}},
	"DEFAULT_STDOUT_CALLBACK":        {"", "default", []string{"defaults.stdout_callback"}, []string{"ANSIBLE_STDOUT_CALLBACK"}},
	"DEFAULT_TIMEOUT":                {"integer", 10, []string{"defaults.timeout"}, []string{"ANSIBLE_TIMEOUT"}},
	"DEFAULT_TRANSPORT":              {"", "smart", []string{"defaults.transport"}, []string{"ANSIBLE_TRANSPORT"}},
	"DEFAULT_UNDEFINED_VAR_BEHAVIOR": {"boolean", true, []string{"defaults.error_on_undefined_vars"}, []string{"ANSIBLE_ERROR_ON_UNDEFINED_VARS"}},
	"DEFAULT_VAULT_PASSWORD_FILE":    {"path", nil, []string{"defaults.vault_password_file"}, []string{"ANSIBLE_VAULT_PASSWORD_FILE"}},
	"DEFAULT_VERBOSITY":              {"integer", 0, []string{"defaults.verbosity"}, []string{"ANSIBLE_VERBOSITY"}},
	"HOST_KEY_CHECKING":              {"boolean", true, []string{"defaults.host_key_checking"}, []string{"ANSIBLE_HOST_KEY_CHECKING"}},
	"RETRY_FILES_SAVE_PATH":          {"path", nil, []string{"defaults.retry_files_save_path"}, []string{"ANSIBLE_RETRY_FILES_SAVE_PATH"}},
	"SHOW_CUSTOM_STATS":              {"boolean", false, []string{"defaults.show_custom_stats"}, []string{"ANSIBLE_SHOW_CUSTOM_STATS"}},
}

// Defaults are Ansible's defaults alone: no config file, no environment.
func Defaults() *Settings {
	home, _ := os.UserHomeDir()
	cwd, _ := os.Getwd()
	return &Settings{src: source{cwd: cwd, home: home}}
}

// LookupNames lists the settings Lookup answers, for messages.
func LookupNames() []string {
	names := make([]string, 0, len(settings))
	for n := range settings {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Lookup returns the setting's value: a string, int, bool, []any of
// paths, or nil (None). found is false for a setting ferry does not know.
func (s *Settings) Lookup(name string) (value any, found bool, err error) {
	def, ok := settings[name]
	if !ok {
		return nil, false, nil
	}
	at, set := s.src.raw(def)
	if !set {
		return s.src.convert(def.typ, def.def, at.base), true, nil
	}
	v, err := s.src.typed(def.typ, at.value, at.base)
	if err != nil && at.env != "" && at.value == "" {
		return s.src.convert(def.typ, def.def, at.base), true, nil // Ansible's default for an empty variable
	}
	if err != nil {
		return nil, true, fmt.Errorf("setting %s = %q: %v", name, at.value, err)
	}
	return v, true, nil
}

// rawValue is a setting's text and where it was found: the environment
// variable env, or the config file's section and key.
type rawValue struct {
	value, base       string // base: where a relative path starts
	env, section, key string
}

// raw finds the setting's text: the environment first (relative paths from
// the working directory), then the config file (from its directory). Of
// several variables the last one set wins, as in ansible-core's
// _loop_entries (NO_COLOR over ANSIBLE_NOCOLOR); an empty one counts as
// set, as there. Of several keys of the file the last one wins too, as in
// get_config_value_and_origin's loop (collections_path over
// collections_paths).
func (src source) raw(def setting) (rawValue, bool) {
	found := rawValue{}
	for _, env := range def.env {
		if src.lookupEnv != nil {
			if v, set := src.lookupEnv(env); set {
				found = rawValue{value: v, base: src.cwd, env: env}
			}
		}
	}
	if found.env != "" {
		return found, true
	}
	if src.file == nil {
		return rawValue{}, false
	}
	for _, key := range def.ini {
		section, name, _ := strings.Cut(key, ".")
		sec, err := src.file.GetSection(section)
		if err == nil && sec.HasKey(name) {
			v := unquote(strings.TrimSpace(sec.Key(name).String()))
			found = rawValue{value: v, base: src.dir, section: section, key: name}
		}
	}
	return found, found.key != ""
}

// convert gives a default its type (a default path starts in the home).
func (src source) convert(typ string, def any, base string) any {
	str, ok := def.(string)
	if !ok {
		return def
	}
	v, err := src.typed(typ, str, base)
	if err != nil {
		return def
	}
	return v
}

// typed is ensure_type of lib/ansible/config/manager.py for the types
// the table uses.
func (src source) typed(typ, v, base string) (any, error) {
	switch typ {
	case "integer":
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("invalid type for configuration option, want an integer")
		}
		return n, nil
	case "boolean":
		return slices.Contains([]string{"y", "yes", "on", "1", "true", "t"}, strings.ToLower(strings.TrimSpace(v))), nil
	case "path":
		return src.path(v, base), nil
	case "pathspec":
		return anys(src.pathspec(v, base)), nil
	case "pathlist":
		return anys(src.paths(strings.Split(v, ","), base)), nil
	}
	return v, nil
}

// pathspec is a PATH-like list, each part a path: an empty part is base
// (ensure_type's resolve_path of ""), so an empty ANSIBLE_ROLES_PATH is
// the working directory.
func (src source) pathspec(v, base string) []string {
	parts := strings.Split(v, string(os.PathListSeparator))
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = src.path(p, base)
	}
	return out
}

// paths are the non-empty parts, each a path.
func (src source) paths(parts []string, base string) []string {
	out := []string{}
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, src.path(p, base))
		}
	}
	return out
}

func anys(paths []string) []any {
	out := make([]any, len(paths))
	for i, p := range paths {
		out[i] = p
	}
	return out
}

// path is resolve_path: ~ is the home, a relative path starts at base.
func (src source) path(p, base string) string {
	if rest, ok := strings.CutPrefix(p, "~"); ok && (rest == "" || rest[0] == '/') && src.home != "" {
		p = src.home + rest
	}
	if !filepath.IsAbs(p) && base != "" {
		p = filepath.Join(base, p)
	}
	return filepath.Clean(p)
}

// unquote drops one pair of matching quotes around an ini value, as
// Ansible's config manager does.
func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}
