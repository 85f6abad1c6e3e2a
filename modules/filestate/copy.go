package filestate

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/ferry-sh/ferry/modules"
)

func init() { modules.Register(copyModule{}) }

// copyModule puts a file on the host from inline content or a controller file
// (Ansible's copy). Large files stream, resume and are verified by sha256;
// see install.go for how a file lands on the host.
type copyModule struct{}

type copyOptions struct {
	Content       *string `opt:"content" doc:"The file's content, instead of src. Masked in output when the task is no_log."`
	Src           string  `opt:"src" doc:"A file on the controller. A relative path is looked up in <playbook dir>/files, then in the playbook dir."`
	Dest          string  `opt:"dest,required" doc:"The file on the host. An existing directory (or a path ending in /) receives the file under src's name."`
	Force         bool    `opt:"force" default:"true" doc:"Replace dest when its content differs; with false, an existing dest keeps its content."`
	Checksum      string  "opt:\"checksum\" doc:\"The sha256 src must have (`sha256:<hex>` or the bare hex); the task fails before copying anything when it differs.\""
	Resume        bool    `opt:"resume" default:"true" doc:"Continue an interrupted transfer from the partial dest.ferry-part left on the host, when it is the login user's own private file and its sha256 matches the source's first bytes; any other part is replaced, never followed or written into."`
	Decrypt       bool    `opt:"decrypt" default:"true" doc:"Decrypt a vault-encrypted src (its content is then masked in all output), as Ansible's copy does."`
	MinFreeBytes  int     `opt:"min_free_bytes" doc:"Fail before transferring when the filesystem of dest would keep fewer free bytes than this after the copy."`
	DirectoryMode any     `opt:"directory_mode" kind:"mode" doc:"When src is a directory: the mode of the directories copied (new ones get 0755 without it)."`
	LocalFollow   bool    `opt:"local_follow" default:"true" doc:"When src is a directory: copy what its links to files point to; false copies the links as links."`
	RemoteSrc     bool    `opt:"remote_src" default:"false" doc:"src is a file on the host, not on the controller (a directory is not supported yet)."`
	modules.FileInstallOptions
	modules.ValidateOption
	modules.SELinuxContext
	preserve bool // mode: preserve, taken out before Decode (modules.TakePreserve)
}

// withSourceMode is the task's attributes with mode: preserve resolved to
// the controller file's mode, as Ansible's copy and template actions do.
func (o copyOptions) withSourceMode(local string) (modules.FileAttrs, error) {
	return sourceMode(o.FileAttrs, o.preserve, local)
}

func sourceMode(attrs modules.FileAttrs, preserve bool, local string) (modules.FileAttrs, error) {
	if !preserve {
		return attrs, nil
	}
	fi, err := os.Stat(local)
	if err != nil {
		return attrs, err
	}
	attrs.Mode = modules.FormatMode(unixPerm(fi.Mode()))
	return attrs, nil
}

// unixPerm is Python's stat.S_IMODE of a Go file mode: the permission bits
// with setuid, setgid and sticky.
func unixPerm(m os.FileMode) uint32 {
	p := uint32(m.Perm())
	for bit, flag := range map[uint32]os.FileMode{0o4000: os.ModeSetuid, 0o2000: os.ModeSetgid, 0o1000: os.ModeSticky} {
		if m&flag != 0 {
			p |= bit
		}
	}
	return p
}

// copyReturns is the order of the copy module's result, which Ansible's
// template action also returns (it runs copy on the rendered file).
var copyReturns = []string{"diff", "dest", "path", "src", "md5sum", "checksum", "changed", "uid", "gid", "owner", "group", "mode", "state", "size"}

func (copyModule) Spec() modules.Spec {
	return modules.Spec{
		Name:    "copy",
		Returns: copyReturns,
		Summary: "Copy a controller file or inline content to a file on the host",
		Args:    modules.ModeMayPreserve(modules.OptionsOf[copyOptions]()),
		OneOf:   [][]string{{"content", "src"}},
		Check:   modules.CheckSupported,
	}
}

func (copyModule) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	args, preserve := modules.TakePreserve(args)
	o, err := modules.Decode[copyOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	o.preserve = preserve
	if msg, err := o.SELinuxContext.Unsupported(ctx, h); msg != "" || err != nil {
		return modules.Result{Failed: msg != "", Msg: msg, Data: map[string]any{"msg": msg}}, err
	}
	if o.RemoteSrc {
		return copyOnHost(ctx, h, o)
	}
	var src modules.Source
	if o.Content != nil {
		src = modules.ContentSource(*o.Content, "")
		if preserve { // the mode of the action's temporary file of the content
			o.Mode = modules.FormatMode(0o600)
		}
	} else {
		local, err := h.ControllerFile("files", o.Src)
		if err != nil {
			return modules.Result{}, err
		}
		if fi, err := os.Stat(local); err == nil && fi.IsDir() {
			return copyTree(ctx, h, o, local)
		}
		if src, err = modules.ControllerSource(h, local, o.Decrypt); err != nil {
			return modules.Result{}, err
		}
		if o.FileAttrs, err = o.withSourceMode(local); err != nil {
			return modules.Result{}, err
		}
	}
	want, err := parseChecksum(o.Checksum)
	if err != nil {
		return modules.Result{}, err
	}
	return installAsCopy(ctx, h, modules.InstallRequest{
		Src:      src,
		Dest:     o.Dest,
		Attrs:    o.FileAttrs,
		Backup:   o.Backup,
		Force:    o.Force,
		Resume:   o.Resume,
		Follow:   o.Follow,
		Checksum: want,
		MinFree:  int64(o.MinFreeBytes),
		Validate: string(o.Validate),
	})
}

// parseChecksum accepts `sha256:<hex>` or a bare sha256 hex.
func parseChecksum(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	hex := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), "sha256:"))
	if len(hex) != 64 || strings.Trim(hex, "0123456789abcdef") != "" {
		return "", fmt.Errorf("checksum %q is not a sha256 (want sha256:<64 hex digits>)", s)
	}
	return hex, nil
}
