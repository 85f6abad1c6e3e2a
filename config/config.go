// Package config reads ferry's settings as Ansible reads its own: a config
// file (ferry.cfg, or an ansible.cfg's [defaults] keys ferry understands)
// found where Ansible looks, and the ANSIBLE_* environment variables that
// override it. Command-line flags override both; cmd/ferry applies them.
package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/ini.v1"
)

// Settings are what the config file and environment say. Zero values mean
// "not set": the command line's defaults apply.
type Settings struct {
	File              string   // the config file read; "" when none was found
	Inventory         []string // inventory / ANSIBLE_INVENTORY
	RemoteUser        string   // remote_user / ANSIBLE_REMOTE_USER
	Forks             int      // forks / ANSIBLE_FORKS
	RolesPath         []string // roles_path / ANSIBLE_ROLES_PATH
	CollectionsPath   []string // collections_path(s) / ANSIBLE_COLLECTIONS_PATH(S)
	HostKeyChecking   *bool    // host_key_checking / ANSIBLE_HOST_KEY_CHECKING
	VaultPasswordFile string   // vault_password_file / ANSIBLE_VAULT_PASSWORD_FILE
	StdoutCallback    string   // stdout_callback / ANSIBLE_STDOUT_CALLBACK ("json": --output json)
	PrivateKeyFile    string   // private_key_file / ANSIBLE_PRIVATE_KEY_FILE
	Timeout           int      // timeout / ANSIBLE_TIMEOUT
	Become            *bool    // [privilege_escalation] become / ANSIBLE_BECOME
	BecomeUser        string   // [privilege_escalation] become_user / ANSIBLE_BECOME_USER
	NoColor           bool     // nocolor / ANSIBLE_NOCOLOR, or NO_COLOR
	ForceColor        bool     // force_color / ANSIBLE_FORCE_COLOR
	// Warnings are found problems that do not stop a run (a config file
	// ignored because its directory is world-writable, as Ansible does).
	Warnings []string

	src source // what Lookup reads (lookup.go)
}

// key is a setting ferry applies itself: its name in settings (lookup.go),
// which says where it is in the file and which variables set it, and how to
// store it.
type key struct {
	name string
	set  func(s *Settings, value string, base string) error
}

var keys = []key{
	{"DEFAULT_HOST_LIST", func(s *Settings, v, base string) error {
		s.Inventory = s.src.paths(strings.Split(v, ","), base)
		return nil
	}},
	{"DEFAULT_REMOTE_USER", func(s *Settings, v, _ string) error { s.RemoteUser = v; return nil }},
	{"DEFAULT_FORKS", intSetting(func(s *Settings) *int { return &s.Forks })},
	{"DEFAULT_ROLES_PATH", func(s *Settings, v, base string) error {
		s.RolesPath = s.src.pathspec(v, base)
		return nil
	}},
	{"COLLECTIONS_PATHS", func(s *Settings, v, base string) error {
		s.CollectionsPath = s.src.pathspec(v, base)
		return nil
	}},
	{"HOST_KEY_CHECKING", boolPtrSetting(func(s *Settings) **bool { return &s.HostKeyChecking })},
	{"DEFAULT_VAULT_PASSWORD_FILE", func(s *Settings, v, base string) error {
		s.VaultPasswordFile = s.src.path(v, base)
		return nil
	}},
	{"DEFAULT_STDOUT_CALLBACK", func(s *Settings, v, _ string) error { s.StdoutCallback = v; return nil }},
	{"DEFAULT_PRIVATE_KEY_FILE", func(s *Settings, v, base string) error {
		s.PrivateKeyFile = s.src.path(v, base)
		return nil
	}},
	{"DEFAULT_TIMEOUT", intSetting(func(s *Settings) *int { return &s.Timeout })},
	{"DEFAULT_BECOME", boolPtrSetting(func(s *Settings) **bool { return &s.Become })},
	{"DEFAULT_BECOME_USER", func(s *Settings, v, _ string) error { s.BecomeUser = v; return nil }},
	{"ANSIBLE_NOCOLOR", boolSetting(func(s *Settings) *bool { return &s.NoColor })},
	{"ANSIBLE_FORCE_COLOR", boolSetting(func(s *Settings) *bool { return &s.ForceColor })},
}

// Load finds and reads the config file, then the environment over it, each
// setting where Lookup reads it. lookupEnv is os.LookupEnv in ferry (a
// variable set to "" is set, as in Ansible's config manager); cwd and home
// are where ./ and ~/ are.
func Load(lookupEnv func(string) (string, bool), cwd, home string) (*Settings, error) {
	s := &Settings{src: source{lookupEnv: lookupEnv, cwd: cwd, home: home}}
	file, warnings := Find(lookupEnv, cwd, home)
	s.Warnings = warnings
	if file != "" {
		if err := s.readFile(file); err != nil {
			return nil, err
		}
	}
	for _, k := range keys {
		if err := s.apply(k); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// apply stores the key's value if the environment or the file sets it; a
// bad value's error names the variable, or the file and its key.
func (s *Settings) apply(k key) error {
	at, ok := s.src.raw(settings[k.name])
	if !ok {
		return nil
	}
	value := at.value
	if at.env == "NO_COLOR" {
		value = "true" // no-color.org: any value asks for no colour
	}
	err := k.set(s, value, at.base)
	switch {
	case err == nil:
		return nil
	case at.env != "" && at.value == "":
		return nil // an empty variable that is no value of the type: the default, as Ansible's config manager
	case at.env != "":
		return fmt.Errorf("%s=%s: %v", at.env, at.value, err)
	}
	return fmt.Errorf("config file %s: [%s] %s = %s: %v", s.File, at.section, at.key, at.value, err)
}

// Find returns the config file Ansible's order picks: $FERRY_CONFIG,
// $ANSIBLE_CONFIG, ./ferry.cfg, ./ansible.cfg (not in a world-writable
// directory, as Ansible refuses it), ~/.ferry.cfg, ~/.ansible.cfg,
// /etc/ansible/ansible.cfg. "" when there is none.
func Find(lookupEnv func(string) (string, bool), cwd, home string) (file string, warnings []string) {
	for _, env := range []string{"FERRY_CONFIG", "ANSIBLE_CONFIG"} {
		if p, _ := lookupEnv(env); p != "" {
			if fi, err := os.Stat(p); err == nil && fi.IsDir() {
				p = filepath.Join(p, "ansible.cfg")
			}
			return source{home: home}.path(p, cwd), nil
		}
	}
	if cwdUsable(cwd) {
		for _, name := range []string{"ferry.cfg", "ansible.cfg"} {
			if p := filepath.Join(cwd, name); exists(p) {
				return p, nil
			}
		}
	} else if exists(filepath.Join(cwd, "ferry.cfg")) || exists(filepath.Join(cwd, "ansible.cfg")) {
		warnings = append(warnings, fmt.Sprintf("the config file in %s is ignored: the directory is world-writable (as Ansible does); use FERRY_CONFIG", cwd))
	}
	candidates := []string{"/etc/ansible/ansible.cfg"}
	if home != "" {
		candidates = append([]string{filepath.Join(home, ".ferry.cfg"), filepath.Join(home, ".ansible.cfg")}, candidates...)
	}
	for _, p := range candidates {
		if exists(p) {
			return p, warnings
		}
	}
	return "", warnings
}

// readFile parses the config file; Load and Lookup read its keys. Paths in
// it are relative to the file's directory, as in Ansible.
func (s *Settings) readFile(path string) error {
	f, err := ini.LoadSources(ini.LoadOptions{Insensitive: true, AllowBooleanKeys: true}, path)
	if err != nil {
		return fmt.Errorf("config file %s: %v", path, err)
	}
	s.File = path
	s.src.file, s.src.dir = f, filepath.Dir(path)
	return nil
}

// Getenv is os.Getenv with the config file behind it: an ANSIBLE_*
// variable that is not set takes the config file's value of the same
// setting, so code that reads the environment (the vault password sources)
// sees the config file too.
func (s *Settings) Getenv(getenv func(string) string) func(string) string {
	return func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		switch name {
		case "ANSIBLE_VAULT_PASSWORD_FILE":
			return s.VaultPasswordFile
		case "ANSIBLE_ROLES_PATH":
			return strings.Join(s.RolesPath, string(os.PathListSeparator))
		}
		return ""
	}
}

func intSetting(field func(*Settings) *int) func(*Settings, string, string) error {
	return func(s *Settings, v, _ string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("want a whole number, not %q", v)
		}
		*field(s) = n
		return nil
	}
}

func boolSetting(field func(*Settings) *bool) func(*Settings, string, string) error {
	return func(s *Settings, v, _ string) error {
		b, err := parseBool(v)
		*field(s) = b
		return err
	}
}

func boolPtrSetting(field func(*Settings) **bool) func(*Settings, string, string) error {
	return func(s *Settings, v, _ string) error {
		b, err := parseBool(v)
		*field(s) = &b
		return err
	}
}

// parseBool takes Ansible's booleans (yes/no, on/off, true/false, 1/0).
func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "1", "yes", "y", "on", "true", "t":
		return true, nil
	case "0", "no", "n", "off", "false", "f", "":
		return false, nil
	}
	return false, fmt.Errorf("want true or false, not %q", v)
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// cwdUsable is false for a world-writable directory, whose ansible.cfg
// anyone could have put there.
func cwdUsable(dir string) bool {
	fi, err := os.Stat(dir)
	return err == nil && fi.Mode().Perm()&0o002 == 0
}
