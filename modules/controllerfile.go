package modules

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// Files on the controller that a module sends to its host (copy's and
// script's src, a PEM file): found as Ansible finds them and decrypted when
// vault-encrypted.

// ControllerSource is the src file, decrypted when it is vault-encrypted and
// decrypt is set.
func ControllerSource(h *Host, local string, decrypt bool) (Source, error) {
	if decrypt {
		plain, ok, err := Unvault(h, local)
		if err != nil || ok {
			return ContentSource(string(plain), local), err
		}
	}
	return fileSource(local)
}

// ControllerFile finds a task's src on the controller as Ansible's actions
// do (_find_needle): along h.SearchPath, in each directory <dir>/<sub>/<name>
// then <dir>/<name>; sub is files or templates.
func (h *Host) ControllerFile(sub, name string) (string, error) {
	dirs := h.SearchPath
	if len(dirs) == 0 {
		dirs = []string{h.BaseDir}
	}
	return FindControllerFile(dirs, sub, name)
}

// FindControllerFile finds name in the first of its candidates that exists.
func FindControllerFile(dirs []string, sub, name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("src is empty")
	}
	candidates := ControllerCandidates(dirs, sub, name)
	for _, c := range candidates {
		if exists, err := controllerFileExists(c); err != nil || exists {
			return c, err
		}
	}
	return "", fmt.Errorf("src %q not found on the controller (looked for %s); fix the path or put the file there",
		name, strings.Join(candidates, " and "))
}

// ControllerCandidates are the paths a relative name is looked for at, in
// order, as 2.14's DataLoader.path_dwim_relative_stack lists them: in each
// directory <dir>/<sub>/<name> (left out when name already starts with
// sub/) and <dir>/<name>. An absolute name is itself.
func ControllerCandidates(dirs []string, sub, name string) []string {
	if filepath.IsAbs(name) {
		return []string{name}
	}
	var out []string
	for _, dir := range dirs {
		if first, _, _ := strings.Cut(name, "/"); first != sub {
			out = append(out, filepath.Join(dir, sub, name))
		}
		out = append(out, filepath.Join(dir, name))
	}
	return out
}

// OpenControllerFile opens the controller's file local (decrypted when it is
// vault-encrypted and decrypt is set) and tells its size: what a module
// streams to the host (script).
func OpenControllerFile(h *Host, local string, decrypt bool) (io.ReadCloser, int64, error) {
	src, err := ControllerSource(h, local, decrypt)
	if err != nil {
		return nil, 0, err
	}
	body, err := src.openAt(0)
	return body, src.size, err
}
