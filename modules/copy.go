package modules

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

func init() { Register(copyModule{}) }

// copyModule puts a file on the host from inline content or a controller file
// (Ansible's copy). Large files stream, resume and are verified by sha256;
// see install.go for how a file lands on the host.
type copyModule struct{}

func (copyModule) Spec() Spec {
	return Spec{
		Name:    "copy",
		Summary: "Copy a controller file or inline content to a file on the host",
		Args: append([]Arg{
			{Name: "content", Type: String, Doc: "The file's content, instead of src. Masked in output when the task is no_log."},
			{Name: "src", Type: String, Doc: "A file on the controller. A relative path is looked up in <playbook dir>/files, then in the playbook dir."},
			{Name: "dest", Type: String, Required: true, Doc: "The file on the host. An existing directory (or a path ending in /) receives the file under src's name."},
			{Name: "force", Type: Bool, Default: true, Doc: "Replace dest when its content differs; with false, an existing dest keeps its content."},
			{Name: "checksum", Type: String, Doc: "The sha256 src must have (`sha256:<hex>` or the bare hex); the task fails before copying anything when it differs."},
			{Name: "resume", Type: Bool, Default: true, Doc: "Continue an interrupted transfer from the partial dest.ferry-part left on the host, when it is the login user's own private file and its sha256 matches the source's first bytes; any other part is replaced, never followed or written into."},
			{Name: "decrypt", Type: Bool, Default: true, Doc: "Decrypt a vault-encrypted src (its content is then masked in all output), as Ansible's copy does."},
			{Name: "min_free_bytes", Type: Int, Doc: "Fail before transferring when the filesystem of dest would keep fewer free bytes than this after the copy."},
			{Name: "directory_mode", Kind: FileMode, Type: Any, Doc: "When src is a directory: the mode of the directories copied (new ones get 0755 without it)."},
			{Name: "local_follow", Type: Bool, Default: true, Doc: "When src is a directory: copy what its links to files point to; false copies the links as links."},
			{Name: "remote_src", Type: Bool, Default: false, Doc: "src is a file on the host, not on the controller (a directory is not supported yet)."},
		}, fileInstallArgs()...),
		OneOf: [][]string{{"content", "src"}},
		Check: CheckSupported,
	}
}

// fileInstallArgs are the arguments copy and template share.
func fileInstallArgs() []Arg {
	return []Arg{
		{Name: "mode", Kind: FileMode, Type: Any, Doc: "Permissions of dest: an octal string (\"0644\") or symbolic (\"u=rw,g=r,o=r\"). Unset keeps an existing file's mode; a new file gets 0644."},
		{Name: "owner", Type: String, Doc: "User (name or uid) that owns dest. Unset keeps an existing file's owner; a new file belongs to the become user, or the login user without become."},
		{Name: "group", Type: String, Doc: "Group (name or gid) of dest."},
		{Name: "backup", Type: Bool, Default: false, Doc: "Before replacing dest, keep a copy named dest.<pid>.<date>@<time>~ (reported as backup_file)."},
		{Name: "follow", Type: Bool, Default: false, Doc: "When dest is a symbolic link, write the file it points to; by default the link itself is replaced by the file, as in Ansible."},
	}
}

func (copyModule) Run(ctx context.Context, h *Host, args Args) (Result, error) {
	if args.Bool("remote_src") {
		return copyOnHost(ctx, h, args)
	}
	var src source
	if args.Has("content") {
		src = contentSource(args.String("content"), "")
	} else {
		local, err := FindControllerFile(h.BaseDir, "files", args.String("src"))
		if err != nil {
			return Result{}, err
		}
		if fi, err := os.Stat(local); err == nil && fi.IsDir() {
			return copyTree(ctx, h, args, local)
		}
		if src, err = controllerSource(h, local, args.Bool("decrypt")); err != nil {
			return Result{}, err
		}
	}
	want, err := parseChecksum(args.String("checksum"))
	if err != nil {
		return Result{}, err
	}
	return installFile(ctx, h, installRequest{
		src:      src,
		dest:     args.String("dest"),
		attrs:    attrsFromArgs(args),
		backup:   args.Bool("backup"),
		force:    args.Bool("force"),
		resume:   args.Bool("resume"),
		follow:   args.Bool("follow"),
		checksum: want,
		minFree:  int64(args.Int("min_free_bytes")),
	})
}

// controllerSource is the src file, decrypted when it is vault-encrypted and
// decrypt is set.
func controllerSource(h *Host, local string, decrypt bool) (source, error) {
	if decrypt {
		plain, ok, err := unvault(h, local)
		if err != nil || ok {
			return contentSource(string(plain), local), err
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

// destInDir is where a file lands when dest names a directory.
func destInDir(dir, srcPath string) string {
	return path.Join(dir, filepath.Base(srcPath))
}
