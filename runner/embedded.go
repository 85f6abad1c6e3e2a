package runner

import (
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/ferry-sh/ferry/playbooks"
)

// embeddedDigest identifies the embedded playbooks' content; computed once.
var embeddedDigest = sync.OnceValues(func() (string, error) { return fsDigest(playbooks.FS) })

// embeddedDir is where the embedded playbooks are unpacked: the user's
// cache directory, one directory per content version.
func embeddedDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	sum, err := embeddedDigest()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "ferry", "playbooks-"+sum[:16]), nil
}

// DisplayPath is how messages name a file: a file of the embedded playbooks
// by its name in ferry with " (embedded)" ("dash-enterprise.yml (embedded)"),
// not by the cache path it was unpacked to, which the user never wrote;
// any other path as it is.
func DisplayPath(path string) string {
	dir, err := embeddedDir()
	if err != nil || path == "" {
		return path
	}
	rel, ok := strings.CutPrefix(path, dir+string(filepath.Separator))
	if !ok {
		return path
	}
	return filepath.ToSlash(rel) + " (embedded)"
}

// Name is the playbook as messages name it (see DisplayPath).
func (pb *Playbook) Name() string { return DisplayPath(pb.File) }
