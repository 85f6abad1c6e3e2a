package modules

import (
	"fmt"
	"os"
)

// maxPEMFileSize bounds what is read from the controller: a certificate file
// is a few kB, so anything larger is the wrong file (a bundle, an image).
const maxPEMFileSize = 1 << 20

// ReadPEMFile finds a controller file the way copy finds src and reads it.
func ReadPEMFile(h *Host, arg, name string) (string, []byte, error) {
	p, err := h.ControllerFile("files", name)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", arg, err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", arg, err)
	}
	if fi.IsDir() {
		return "", nil, fmt.Errorf("%s %s is a directory; give the PEM file", arg, p)
	}
	if fi.Size() > maxPEMFileSize {
		return "", nil, fmt.Errorf("%s %s is %s; a PEM file is a few kB: is it the right file?", arg, p, HumanBytes(fi.Size()))
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", arg, err)
	}
	return p, b, nil
}
