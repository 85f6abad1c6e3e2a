package modules

import (
	"context"
	"fmt"
	"strings"

	"github.com/ferry-sh/ferry/internal/shellquote"
)

// PathFacts is what Ansible's add_path_info adds to the result of a module
// that returns a path (ini_file, archive...): nothing when nothing is
// there; otherwise uid, gid, owner, group, mode and size of the path itself
// (a link is not followed), and state link, directory, hard (a file with
// more than one name) or file.
func PathFacts(ctx context.Context, h *Host, path string) (map[string]any, error) {
	self, err := StatPath(ctx, h, path, false)
	if err != nil {
		return nil, err
	}
	target, err := StatPath(ctx, h, path, true)
	if err != nil {
		return nil, err
	}
	if !target.Exists { // os.path.exists follows links: a dangling one adds nothing
		return map[string]any{}, nil
	}
	facts := map[string]any{"uid": self.UID, "gid": self.GID, "owner": self.Owner, "group": self.Group,
		"mode": fmt.Sprintf("0%03o", self.Mode), "size": self.Size, "state": "file"}
	switch {
	case self.Type == "link":
		facts["state"] = "link"
	case self.Type == "directory":
		facts["state"] = "directory"
	case target.Type == "file":
		links, err := RunScript(ctx, h, "stat -L -c %h -- "+shellquote.Quote(path))
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(links) != "1" {
			facts["state"] = "hard"
		}
	}
	return facts, nil
}
