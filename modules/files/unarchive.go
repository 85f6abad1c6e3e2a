package files

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"strings"

	"github.com/ferry-sh/ferry/internal/anylist"
	"github.com/ferry-sh/ferry/modules"
)

// unarchive unpacks a tar archive (plain, gzip, bzip2 or xz) into a
// directory of the host, as Ansible's unarchive does with GNU tar: `tar
// --diff` decides whether it is unpacked already, `tar --extract` unpacks
// it. A zip archive goes to unzip (unzip.go). A controller archive is streamed into tar's stdin, never left on the
// host; with remote_src tar reads the host's file.
type unarchive struct{}

type unarchiveOptions struct {
	Src       string   `opt:"src,required" doc:"The archive: on the controller (relative: <playbook dir>/files, then the playbook dir), or on the host with remote_src."`
	Dest      string   `opt:"dest,required" doc:"The directory to unpack into; it must exist."`
	RemoteSrc bool     `opt:"remote_src" default:"false" doc:"src is a file on the host."`
	Copy      bool     `opt:"copy" default:"true" doc:"Deprecated: copy: false is remote_src: true."`
	Creates   string   `opt:"creates" doc:"Skip the task when this path exists on the host."`
	ListFiles bool     `opt:"list_files" default:"false" doc:"Return the archive's members in files."`
	KeepNewer bool     `opt:"keep_newer" default:"false" doc:"Do not replace files newer than the archive's (tar --keep-newer-files)."`
	Exclude   []string `opt:"exclude" default:"" doc:"Members (globs) to leave out."`
	Include   []string `opt:"include" default:"" doc:"Only these members."`
	ExtraOpts []string `opt:"extra_opts" default:"" doc:"More tar options, e.g. [--strip-components=1]."`
	// mode, owner and group are given to every member after unpacking, as
	// Ansible's set_fs_attributes_if_different does.
	modules.FileAttrs
	modules.SELinuxContext
}

func (unarchive) Spec() modules.Spec {
	return modules.Spec{
		Name:      "unarchive",
		Returns:   []string{"handler", "dest", "src", "extract_results", "changed", "uid", "gid", "owner", "group", "mode", "state", "size"}, // the order of Ansible's result
		Summary:   "Unpack a tar (.tar, .tar.gz, .tar.bz2, .tar.xz) or zip archive into a directory of the host",
		Args:      modules.OptionsOf[unarchiveOptions](),
		Exclusive: [][]string{{"include", "exclude"}},
		// A zip is compared under --check; a tar archive is skipped there,
		// as Ansible's TgzArchive does (Run).
		Check: modules.CheckSupported,
	}
}

// unarchiveCheckMsg is Ansible's answer for a tar archive under --check.
const unarchiveCheckMsg = "remote module (ansible.legacy.unarchive) does not support check mode when using gtar"

// tarFlags are tar's decompression flags by the archive's first bytes,
// with Ansible's handler names.
var tarFormats = []struct {
	magic   string
	flag    string
	handler string
}{
	{"\x1f\x8b", "-z", "TgzArchive"},
	{"BZh", "-j", "TarBzipArchive"},
	{"\xfd7zXZ\x00", "-J", "TarXzArchive"},
	{"PK\x03\x04", "zip", "ZipArchive"},
}

func (unarchive) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[unarchiveOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	if c := o.Creates; c != "" {
		if info, err := modules.StatPath(ctx, h, c, false); err != nil || info.Exists {
			msg := "skipped, since " + c + " exists"
			return modules.Result{Skipped: true, Msg: msg, Data: map[string]any{"msg": msg}}, err
		}
	}
	if msg, err := o.SELinuxContext.Unsupported(ctx, h); msg != "" || err != nil {
		return derefFail(failed(msg)), err
	}
	a, bad, err := openArchive(ctx, h, o)
	if bad != nil || err != nil {
		return derefFail(bad), err
	}
	dest := o.Dest
	if info, err := modules.StatPath(ctx, h, dest, true); err != nil || info.Type != "directory" {
		return derefFail(failed(fmt.Sprintf("Destination '%s' is not a directory", dest))), err
	}
	data := map[string]any{"handler": a.handler, "dest": dest, "src": a.label}
	if a.handler == "ZipArchive" {
		res, err := unzipArchive(ctx, h, o, a, data)
		if err != nil || res.Failed {
			return res, err
		}
		return res, addDestInfo(ctx, h, dest, data)
	}
	if h.Check {
		return modules.Result{Skipped: true, Msg: unarchiveCheckMsg, Data: map[string]any{"msg": unarchiveCheckMsg}}, nil
	}
	if a.bin, err = binPath(ctx, h, "gtar", "tar"); err != nil { // GNU tar first, as unarchive.py
		return modules.Result{}, err
	}
	if a.locale, err = modules.BestLocale(ctx, h); err != nil {
		return modules.Result{}, err
	}
	unpacked, err := a.unpacked(ctx, h, o)
	if err != nil {
		return modules.Result{}, err
	}
	if !unpacked {
		var res map[string]any
		err := h.Change(fmt.Sprintf("unpack %s into %s", a.label, dest), func(w modules.Writer) error {
			var err error
			res, err = a.tar(ctx, h, w.Run, o, "--extract")
			return err
		})
		if err != nil {
			return modules.Result{}, err
		}
		data["extract_results"] = res
		if res["rc"] != 0 {
			msg := fmt.Sprintf("failed to unpack %s to %s", a.label, dest)
			data["msg"] = msg
			return modules.Result{Failed: true, Msg: msg, Data: data}, nil
		}
	}
	if o.ListFiles || o.hasAttrs() {
		files, err := a.members(ctx, h, o)
		if err != nil {
			return modules.Result{}, err
		}
		if err := applyMemberAttrs(ctx, h, o, files); err != nil {
			return modules.Result{}, err
		}
		if o.ListFiles {
			data["files"] = anylist.Of(files)
		}
	}
	return modules.Result{Data: data}, addDestInfo(ctx, h, dest, data)
}

// hasAttrs says whether the task gives the members a mode, owner or group.
func (o unarchiveOptions) hasAttrs() bool {
	return o.Mode != nil || o.Owner != "" || o.Group != ""
}

// addDestInfo is add_path_info of Ansible's exit_json: dest's owner,
// mode, state and size.
func addDestInfo(ctx context.Context, h *modules.Host, dest string, data map[string]any) error {
	info, err := modules.StatPath(ctx, h, dest, false)
	if err != nil {
		return err
	}
	for k, v := range pathInfoData(dest, info) {
		if k != "path" {
			data[k] = v
		}
	}
	return nil
}

func failed(msg string) *modules.Result {
	return &modules.Result{Failed: true, Msg: msg, Data: map[string]any{"msg": msg}}
}

func derefFail(r *modules.Result) modules.Result {
	if r == nil {
		return modules.Result{}
	}
	return *r
}

// archive is the tar archive to read: a controller file (streamed) or a
// host path.
type archive struct {
	local   string // the controller file, "" with remote_src
	remote  string // the host file
	label   string
	flag    string // tar's decompression flag
	handler string
	bin     string // tar's path on the host
	locale  string // the locale tar runs in
}

func openArchive(ctx context.Context, h *modules.Host, o unarchiveOptions) (archive, *modules.Result, error) {
	src := o.Src
	var head []byte
	a := archive{label: src}
	if o.RemoteSrc || !o.Copy {
		info, err := modules.StatPath(ctx, h, src, true)
		if err != nil {
			return a, nil, err
		}
		if !info.Exists {
			return a, failed(fmt.Sprintf("Source '%s' does not exist", src)), nil
		}
		if head, err = modules.ReadFile(ctx, h, src, 8); err != nil {
			return a, failed(fmt.Sprintf("Source '%s' not readable", src)), nil
		}
		a.remote = src
	} else {
		local, err := h.ControllerFile("files", src)
		if err != nil {
			return a, nil, err
		}
		f, err := os.Open(local)
		if err != nil {
			return a, nil, err
		}
		head = make([]byte, 8)
		n, _ := io.ReadFull(f, head)
		head = head[:n]
		f.Close()
		a.local, a.label = local, local
	}
	if len(head) == 0 {
		return a, failed(fmt.Sprintf("Invalid archive '%s', the file is 0 bytes", a.label)), nil
	}
	a.handler = "TarArchive"
	for _, f := range tarFormats {
		if bytes.HasPrefix(head, []byte(f.magic)) {
			a.flag, a.handler = f.flag, f.handler
		}
	}
	return a, nil, nil
}

// tar runs tar with op (--diff, --extract, --list) as Ansible's TgzArchive
// builds the command, in dest, and returns Ansible's cmd/rc/out/err.
// run is h.Query for --diff and --list, the Writer's Run for --extract.
func (a archive) tar(ctx context.Context, h *modules.Host, run func(context.Context, modules.Command) (modules.Output, error), o unarchiveOptions, op string) (map[string]any, error) {
	argv := []string{a.bin, op, "-C", o.Dest}
	if a.flag != "" {
		argv = append(argv, a.flag)
	}
	if opts := o.ExtraOpts; len(opts) > 0 {
		argv = append(append(argv, "--show-transformed-names"), opts...)
	}
	if op != "--list" {
		if o.Owner != "" {
			argv = append(argv, "--owner="+o.Owner)
		}
		if o.Group != "" {
			argv = append(argv, "--group="+o.Group)
		}
		if o.KeepNewer {
			argv = append(argv, "--keep-newer-files")
		}
	}
	for _, x := range o.Exclude {
		argv = append(argv, "--exclude="+strings.TrimSuffix(x, "/"))
	}
	file := a.remote
	cmd := modules.Command{Dir: o.Dest, Become: h.Become, Env: modules.LocaleEnv(a.locale)}
	if a.local != "" {
		file = "-"
		f, err := os.Open(a.local)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		cmd.Stdin = f
	}
	argv = append(append(argv, "-f", file), o.Include...)
	cmd.Argv = argv
	out, err := run(ctx, cmd)
	if err != nil {
		return nil, fmt.Errorf("running tar on %s: %w", h.Name, err)
	}
	return map[string]any{"cmd": anylist.Of(argv), "rc": out.RC, "out": out.Stdout, "err": out.Stderr}, nil
}

// diffLine are the lines of tar --diff that mean the archive is not
// unpacked, as Ansible's TgzArchive reads them.
var (
	uidDiff     = regexp.MustCompile(`: Uid differs$`)
	gidDiff     = regexp.MustCompile(`: Gid differs$`)
	modeDiff    = regexp.MustCompile(`: Mode differs$`)
	changedDiff = regexp.MustCompile(`: Mod time differs$|: Warning: Cannot stat: No such file or directory$|: Invalid (owner|group)`)
	emptyName   = regexp.MustCompile(`: : Warning: Cannot stat: No such file or directory$`)
)

// unpacked is Ansible's is_unarchived: tar --diff finds nothing that
// matters (owners count only for root, when no owner is asked for; modes
// only when no mode is: the task's own are set after unpacking).
func (a archive) unpacked(ctx context.Context, h *modules.Host, o unarchiveOptions) (bool, error) {
	res, err := a.tar(ctx, h, h.Query, o, "--diff")
	if err != nil {
		return false, err
	}
	root := h.Become != nil
	if !root {
		out, err := h.Query(ctx, modules.Command{Argv: []string{"id", "-u"}})
		root = err == nil && strings.TrimSpace(out.Stdout) == "0"
	}
	for _, line := range strings.Split(res["out"].(string)+res["err"].(string), "\n") {
		switch {
		case emptyName.MatchString(line):
		case changedDiff.MatchString(line), o.Mode == nil && modeDiff.MatchString(line):
			return false, nil
		case root && o.Owner == "" && uidDiff.MatchString(line), root && o.Group == "" && gidDiff.MatchString(line):
			return false, nil
		}
	}
	return true, nil
}

// members lists the archive as Ansible's files_in_archive: names without
// a leading slash, excluded ones left out.
func (a archive) members(ctx context.Context, h *modules.Host, o unarchiveOptions) ([]string, error) {
	res, err := a.tar(ctx, h, h.Query, o, "--list")
	if err != nil {
		return nil, err
	}
	if res["rc"] != 0 {
		return nil, fmt.Errorf("Unable to list files in the archive: %s", res["err"])
	}
	files := []string{}
	for _, name := range strings.Split(strings.TrimSuffix(res["out"].(string), "\n"), "\n") {
		if name == "" {
			continue
		}
		name = strings.TrimPrefix(name, "/")
		excluded := false
		for _, x := range o.Exclude {
			if ok, _ := path.Match(x, name); ok {
				excluded = true
			}
		}
		if !excluded {
			files = append(files, name)
		}
	}
	return files, nil
}
