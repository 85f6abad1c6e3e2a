package files

import (
	"context"
	"fmt"
	"strings"

	"github.com/ferry-sh/ferry/internal/shellquote"
	"github.com/ferry-sh/ferry/modules"
)

// tempfile makes a private temporary file or directory, as Ansible's.
type tempfile struct{}

type tempfileOptions struct {
	State  string  `opt:"state" default:"file" choices:"file,directory" doc:"Make a file or a directory."`
	Path   *string `opt:"path" doc:"The directory to make it in; unset: the host's temporary directory ($TMPDIR, else /tmp)."`
	Prefix string  `opt:"prefix" default:"ansible." doc:"The start of its name."`
	Suffix string  `opt:"suffix" default:"" doc:"The end of its name."`
}

func (tempfile) Spec() modules.Spec {
	return modules.Spec{
		Name:    "tempfile",
		Returns: []string{"changed", "path", "uid", "gid", "owner", "group", "mode", "state", "size"}, // the order of Ansible's result
		Summary: "Create a private temporary file or directory on the host",
		Args:    modules.OptionsOf[tempfileOptions](),
		// A name cannot be predicted: in check mode the runner skips it, as
		// Ansible does a module without check mode.
		Check: modules.CheckSkip,
	}
}

func (tempfile) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[tempfileOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	prefix, suffix := o.Prefix, o.Suffix
	if strings.Contains(prefix+suffix, "/") {
		return modules.Result{}, fmt.Errorf("prefix and suffix are parts of a name; they cannot hold /")
	}
	dir := `"${TMPDIR:-/tmp}"`
	if o.Path != nil {
		dir = shellquote.Quote(*o.Path)
	}
	flag := ""
	if o.State == "directory" {
		flag = "-d "
	}
	// mktemp makes it exclusively, mode 0600 (0700 for a directory), as
	// Python's mkstemp and mkdtemp do.
	script := fmt.Sprintf("mktemp %s-p %s -- %s", flag, dir, shellquote.Quote(prefix+"XXXXXXXX"+suffix))
	var made string
	err = h.Change("create a temporary "+o.State, func(w modules.Writer) error {
		out, err := modules.WriteScript(ctx, w, script)
		made = strings.TrimSpace(out)
		return err
	})
	if err != nil {
		return modules.Result{}, err
	}
	info, err := modules.StatPath(ctx, h, made, false)
	if err != nil {
		return modules.Result{}, err
	}
	return modules.Result{Data: pathInfoData(made, info)}, nil
}

// pathInfoData is a path's result fields as Ansible's add_path_info gives
// them: path, owner, group, uid, gid, mode, state, size (a new file has
// one link, so state is never hard).
func pathInfoData(p string, info modules.PathInfo) map[string]any {
	return map[string]any{"path": p, "uid": info.UID, "gid": info.GID, "owner": info.Owner, "group": info.Group,
		"mode": fmt.Sprintf("0%03o", info.Mode), "state": info.Type, "size": info.Size}
}
