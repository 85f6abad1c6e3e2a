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

// FindControllerFile finds a relative src the way Ansible does for roles and
// playbooks: <base>/<sub>/<name>, then <base>/<name>.
func FindControllerFile(baseDir, sub, name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("src is empty")
	}
	candidates := []string{name}
	if !filepath.IsAbs(name) {
		candidates = []string{filepath.Join(baseDir, sub, name), filepath.Join(baseDir, name)}
	}
	for _, c := range candidates {
		if exists, err := controllerFileExists(c); err != nil || exists {
			return c, err
		}
	}
	return "", fmt.Errorf("src %q not found on the controller (looked for %s); fix the path or put the file there",
		name, strings.Join(candidates, " and "))
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
