package filestate

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/ferry-sh/ferry/internal/shellquote"
	"github.com/ferry-sh/ferry/modules"
)

func init() { modules.Register(fileModule{}) }

// fileModule manages a path's kind and attributes (Ansible's file).
type fileModule struct{}

type fileOptions struct {
	Path    string `opt:"path,required,nonempty" aliases:"dest,name" doc:"The path on the host."`
	State   string `opt:"state" choices:"file,directory,touch,absent,link,hard" doc:"file: must exist, only its attributes change; directory: created with its parents; touch: created empty or its times updated; absent: removed (recursively); link/hard: a symbolic/hard link to src. Default: the path's current kind, or file."`
	Src     string `opt:"src" doc:"What a link points to (state link or hard). A relative src of a symbolic link is relative to the link's directory."`
	Mode    any    `opt:"mode" kind:"mode" doc:"Permissions: an octal string (\"0755\") or symbolic (\"u=rwX,g=rX,o=\")."`
	Owner   string `opt:"owner" doc:"User (name or uid) that owns the path."`
	Group   string `opt:"group" doc:"Group (name or gid) of the path."`
	Recurse bool   `opt:"recurse" default:"false" doc:"With state directory, apply mode, owner and group to everything below it too."`
	Force   bool   `opt:"force" default:"false" doc:"For links: replace an existing file or empty directory at path, and allow a src that does not exist."`
	Follow  bool   `opt:"follow" default:"true" doc:"With state file or directory, a symbolic link at path stands for what it points to (Ansible's default); false takes the link itself, which then fails the task."`
	FileTimes
	modules.SELinuxContext
}

func (fileModule) Spec() modules.Spec {
	return modules.Spec{
		Name:    "file",
		Returns: []string{"dest", "path", "src", "changed", "diff", "uid", "gid", "owner", "group", "mode", "state", "size"}, // the order of Ansible's result
		Summary: "Manage a file, directory or link and its mode and owner",
		Args:    modules.OptionsOf[fileOptions](),
		Check:   modules.CheckSupported,
	}
}

func (fileModule) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[fileOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	return runFile(ctx, h, o)
}

// runFile converges the path; copy runs it for each directory and link
// it copies.
func runFile(ctx context.Context, h *modules.Host, o fileOptions) (modules.Result, error) {
	p := strings.TrimSuffix(o.Path, "/")
	if p == "" {
		p = o.Path // "/" itself
	}
	if p == "" {
		return modules.Result{}, fmt.Errorf("path is empty")
	}
	info, err := modules.StatPath(ctx, h, p, false)
	if err != nil {
		return modules.Result{}, err
	}
	state := o.State
	if state == "" {
		state = defaultFileState(o, info)
	}
	f := fileTask{h: h, path: p, o: o, attrs: modules.FileAttrs{Mode: o.Mode, Owner: o.Owner, Group: o.Group}, info: info}
	if msg, err := o.SELinuxContext.Unsupported(ctx, h); msg != "" || err != nil {
		return modules.Result{Failed: msg != "", Msg: msg, Data: map[string]any{"path": p, "msg": msg}}, err
	}
	var res modules.Result
	switch state {
	case "absent":
		res, err = f.absent(ctx)
	case "directory":
		res, err = f.directory(ctx)
	case "file":
		res, err = f.file(ctx)
	case "touch":
		res, err = f.touch(ctx)
	case "link":
		res, err = f.link(ctx)
	case "hard":
		res, err = f.hard(ctx)
	}
	if err == nil && !res.Failed && (state == "file" || state == "directory" || state == "touch") {
		err = f.touchTimes(ctx, state)
	}
	if err != nil || res.Failed {
		return res, err
	}
	res, err = f.result(ctx, state)
	if diff := f.fileDiff(state, info, res.Data); diff != nil && err == nil {
		res.Data["diff"] = diff
	}
	return res, err
}

// defaultFileState is Ansible's: the kind the path already is, else file
// (directory with recurse, link with src).
func defaultFileState(o fileOptions, info modules.PathInfo) string {
	switch {
	case info.Type == "directory" || info.Type == "link":
		return info.Type
	case info.Exists:
		return "file"
	case o.Recurse:
		return "directory"
	case o.Src != "":
		return "link"
	}
	return "file"
}

type fileTask struct {
	h       *modules.Host
	path    string
	o       fileOptions
	attrs   modules.FileAttrs
	info    modules.PathInfo
	created bool // the path was created (or, in check mode, planned) by this task
}

// run makes one change through the gate. Once a change is only planned
// (check mode), f.info holds the predicted state and the host is not read
// back (Host.pending).
func (f *fileTask) run(ctx context.Context, what, script string) error {
	return f.h.Change(what, func(w modules.Writer) error {
		_, err := modules.WriteScript(ctx, w, script)
		return err
	})
}

func (f *fileTask) failed(msg string) (modules.Result, error) {
	return modules.Result{Failed: true, Msg: msg, Data: map[string]any{"path": f.path, "msg": msg}}, nil
}

func (f *fileTask) absent(ctx context.Context) (modules.Result, error) {
	if f.info.Exists {
		what := "remove " + f.path
		if f.info.Type == "directory" {
			what = "remove directory " + f.path + " and everything in it"
		}
		return modules.Result{}, f.run(ctx, what, "rm -rf -- "+shellquote.Quote(f.path))
	}
	return modules.Result{}, nil
}

func (f *fileTask) directory(ctx context.Context) (modules.Result, error) {
	if f.info.Type == "link" && f.o.Follow { // a link to a directory is the directory, as Ansible's realpath
		if err := f.restat(ctx, true); err != nil {
			return modules.Result{}, err
		}
		if !f.info.Exists {
			return f.failed(fmt.Sprintf("%s is a dangling symbolic link, cannot continue", f.path))
		}
	}
	if f.info.Exists && f.info.Type != "directory" {
		return f.failed(fmt.Sprintf("%s already exists as a %s", f.path, f.info.Type))
	}
	if !f.info.Exists {
		if err := f.create(ctx, "create directory", "directory", 0o755); err != nil {
			return modules.Result{}, err
		}
	}
	if f.o.Recurse {
		return modules.Result{}, f.convergeTree(ctx)
	}
	return modules.Result{}, f.attrs.Converge(ctx, f.h, f.path, f.info)
}

func (f *fileTask) file(ctx context.Context) (modules.Result, error) {
	if !f.info.Exists {
		return f.failed(fmt.Sprintf("file (%s) is absent, cannot continue", f.path))
	}
	if f.info.Type == "link" && f.o.Follow { // follow it, as Ansible's default follow=yes does
		if err := f.restat(ctx, true); err != nil {
			return modules.Result{}, err
		}
		if !f.info.Exists {
			return f.failed(fmt.Sprintf("file (%s) is a dangling symbolic link, cannot continue", f.path))
		}
	}
	if f.info.Type != "file" {
		return f.failed(fmt.Sprintf("file (%s) is %s, cannot continue", f.path, f.info.Type))
	}
	return modules.Result{}, f.attrs.Converge(ctx, f.h, f.path, f.info)
}

// touch creates the file; runFile then sets its times (now, unless
// preserve is asked: a role's log file touched only to exist).
func (f *fileTask) touch(ctx context.Context) (modules.Result, error) {
	if !f.info.Exists {
		return modules.Result{}, f.create(ctx, "create empty file", "file", 0o644)
	}
	return modules.Result{}, f.attrs.Converge(ctx, f.h, f.path, f.info) // runFile sets the times
}

// create makes a missing path with its mode and owner in one step, so the
// plan shows one line ("create directory /x (mode 0750)"). The path is
// created exclusively (createScript), so something that appeared there
// meanwhile, a link someone planted for instance, fails the task instead of
// being followed.
func (f *fileTask) create(ctx context.Context, what, kind string, defaultMode uint32) error {
	base := modules.PathInfo{Exists: true, Type: kind, Mode: defaultMode}
	mode, err := f.attrs.WantMode(base)
	if err != nil {
		return err
	}
	details := "mode " + modules.FormatMode(mode)
	owner := modules.OwnerSpec(f.attrs.Owner, f.attrs.Group)
	if owner != "" {
		details += ", owner " + owner
	}
	if err := f.run(ctx, fmt.Sprintf("%s %s (%s)", what, f.path, details), createScript(f.path, kind, mode, owner)); err != nil {
		return err
	}
	base.Mode, base.Owner, base.Group = mode, f.attrs.Owner, f.attrs.Group
	f.info, f.created = base, true
	if f.h.Pending() {
		return nil
	}
	return f.restat(ctx, true)
}

// createScript creates path, which must not exist. A directory's parents are
// created as mkdir -p does; mkdir itself fails on anything at path. A file
// is made private (mktemp), given its owner and mode, then hard-linked to
// path, which fails on anything there: it is never seen with another mode
// or owner.
func createScript(p, kind string, mode uint32, owner string) string {
	q := shellquote.Quote(p)
	chown := func(target string) string {
		if owner == "" {
			return ""
		}
		return fmt.Sprintf(" && chown -h %s -- %s", shellquote.Quote(owner), target)
	}
	if kind == "directory" {
		return fmt.Sprintf("mkdir -p -- %s && mkdir -m %s -- %s%s", shellquote.Quote(path.Dir(p)), modules.FormatMode(mode), q, chown(q))
	}
	// chown before chmod: chown clears setuid and setgid bits.
	return fmt.Sprintf(`t=$(mktemp -- %s) || exit 1
true%s && chmod %s -- "$t" && ln -T -- "$t" %s; rc=$?
rm -f -- "$t"; exit $rc`, shellquote.Quote(modules.TempTemplate(p)), chown(`"$t"`), modules.FormatMode(mode), q)
}

func (f *fileTask) link(ctx context.Context) (modules.Result, error) {
	src := f.o.Src
	if src == "" {
		return f.failed(fmt.Sprintf("src is required for state=link (what should %s point to?)", f.path))
	}
	if f.info.Type == "link" && f.info.Target == src {
		return modules.Result{}, f.attrs.Converge(ctx, f.h, f.path, f.info)
	}
	if res, stop, err := f.checkReplace(ctx, "link"); stop || err != nil {
		return res, err
	}
	if !f.o.Force {
		target := src
		if !path.IsAbs(target) {
			target = path.Join(path.Dir(f.path), src)
		}
		ok, err := modules.PathExists(ctx, f.h, target)
		if err != nil {
			return modules.Result{}, err
		}
		if !ok {
			return f.failed(fmt.Sprintf("src file does not exist, use \"force=yes\" if you really want to create the link: %s", target))
		}
	}
	script := f.clearDirScript() + fmt.Sprintf("ln -sfn -- %s %s", shellquote.Quote(src), shellquote.Quote(f.path))
	if err := f.run(ctx, fmt.Sprintf("link %s -> %s", f.path, src), script); err != nil {
		return modules.Result{}, err
	}
	f.info = modules.PathInfo{Exists: true, Type: "link", Target: src}
	if !f.h.Pending() {
		if err := f.restat(ctx, false); err != nil {
			return modules.Result{}, err
		}
	}
	return modules.Result{}, f.attrs.Converge(ctx, f.h, f.path, f.info)
}

func (f *fileTask) hard(ctx context.Context) (modules.Result, error) {
	src := f.o.Src
	if src == "" {
		return f.failed(fmt.Sprintf("src is required for state=hard (what should %s link to?)", f.path))
	}
	srcInfo, err := modules.StatPath(ctx, f.h, src, false)
	if err != nil {
		return modules.Result{}, err
	}
	if !srcInfo.Exists {
		return f.failed(fmt.Sprintf("src %s does not exist; a hard link needs an existing file", src))
	}
	if f.info.Exists && f.info.Inode == srcInfo.Inode {
		return modules.Result{}, f.attrs.Converge(ctx, f.h, f.path, f.info)
	}
	if res, stop, err := f.checkReplace(ctx, "hard link"); stop || err != nil {
		return res, err
	}
	script := f.clearDirScript() + fmt.Sprintf("ln -fT -- %s %s", shellquote.Quote(src), shellquote.Quote(f.path))
	if err := f.run(ctx, fmt.Sprintf("hard link %s => %s", f.path, src), script); err != nil {
		return modules.Result{}, err
	}
	f.info = srcInfo
	if !f.h.Pending() {
		if err := f.restat(ctx, false); err != nil {
			return modules.Result{}, err
		}
	}
	return modules.Result{}, f.attrs.Converge(ctx, f.h, f.path, f.info)
}

// checkReplace refuses to turn an existing file or directory into a link
// unless force is set, as Ansible does.
func (f *fileTask) checkReplace(ctx context.Context, kind string) (modules.Result, bool, error) {
	if !f.info.Exists || f.info.Type == "link" {
		return modules.Result{}, false, nil
	}
	if !f.o.Force {
		res, err := f.failed(fmt.Sprintf("refusing to convert from %s to %s for %s (use force=yes to replace it)", f.info.Type, kind, f.path))
		return res, true, err
	}
	if f.info.Type == "directory" {
		out, err := modules.RunScript(ctx, f.h, "ls -A -- "+shellquote.Quote(f.path))
		if err != nil {
			return modules.Result{}, true, err
		}
		if strings.TrimSpace(out) != "" {
			res, err := f.failed(fmt.Sprintf("the directory %s is not empty, refusing to convert it to a %s", f.path, kind))
			return res, true, err
		}
	}
	return modules.Result{}, false, nil
}

// clearDirScript removes an (empty) directory that a link replaces: ln would
// otherwise create the link inside it.
func (f *fileTask) clearDirScript() string {
	if f.info.Type == "directory" {
		return "rmdir -- " + shellquote.Quote(f.path) + " && "
	}
	return ""
}

func (f *fileTask) restat(ctx context.Context, follow bool) error {
	info, err := modules.StatPath(ctx, f.h, f.path, follow)
	if err != nil {
		return err
	}
	f.info = info
	return nil
}

// convergeTree applies mode and owner to a directory and everything below
// it. One `find` lists the tree; the chmod/chown run only when something
// differs, so a converged tree reports no change.
func (f *fileTask) convergeTree(ctx context.Context) error {
	if f.attrs.Mode == nil && f.attrs.Owner == "" && f.attrs.Group == "" {
		return nil
	}
	if f.h.Pending() && f.created {
		return nil // the tree is only planned; there is nothing below it yet
	}
	out, err := modules.RunScript(ctx, f.h, fmt.Sprintf(`find %s -printf '%%m|%%y|%%u|%%g|%%U|%%G\n'`, shellquote.Quote(f.path)))
	if err != nil {
		return err
	}
	modeDrift, ownerDrift := false, false
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		e, err := parseTreeEntry(line)
		if err != nil {
			return fmt.Errorf("reading find output for %s: %w", f.path, err)
		}
		if f.attrs.Mode != nil && e.Type != "link" {
			want, err := f.attrs.WantMode(e)
			if err != nil {
				return err
			}
			modeDrift = modeDrift || want != e.Mode
		}
		ownerDrift = ownerDrift || !e.OwnedBy(f.attrs.Owner, f.attrs.Group)
	}
	q := shellquote.Quote(f.path)
	if modeDrift {
		spec := modeForChmod(f.attrs.Mode)
		if err := f.run(ctx, fmt.Sprintf("chmod -R %s %s", spec, f.path), fmt.Sprintf("chmod -R %s -- %s", shellquote.Quote(spec), q)); err != nil {
			return err
		}
	}
	if ownerDrift {
		spec := modules.OwnerSpec(f.attrs.Owner, f.attrs.Group)
		return f.run(ctx, fmt.Sprintf("chown -R %s %s", spec, f.path), fmt.Sprintf("chown -R -h %s -- %s", shellquote.Quote(spec), q))
	}
	return nil
}

func parseTreeEntry(line string) (modules.PathInfo, error) {
	f := strings.Split(line, "|")
	if len(f) != 6 {
		return modules.PathInfo{}, fmt.Errorf("unexpected %q", line)
	}
	mode, err := strconv.ParseUint(f[0], 8, 32)
	if err != nil {
		return modules.PathInfo{}, fmt.Errorf("unexpected mode in %q", line)
	}
	kinds := map[string]string{"f": "file", "d": "directory", "l": "link"}
	uid, _ := strconv.Atoi(f[4])
	gid, _ := strconv.Atoi(f[5])
	info := modules.PathInfo{Exists: true, Type: kinds[f[1]], Mode: uint32(mode), Owner: f[2], Group: f[3], UID: uid, GID: gid}
	if info.Type == "" {
		info.Type = "other"
	}
	return info, nil
}

// modeForChmod turns the mode argument into chmod's own syntax, which takes
// octal and symbolic modes alike (so X keeps its per-entry meaning).
func modeForChmod(mode any) string {
	if s, ok := mode.(string); ok {
		return strings.TrimPrefix(strings.TrimSpace(s), "0o")
	}
	n, _ := modules.NumericMode(toIntOrZero(mode))
	return modules.FormatMode(n)
}

func toIntOrZero(v any) int {
	n, _ := modules.ToInt(v)
	return n
}

// result reports the path as Ansible's file module does: under dest for
// touch and links, path otherwise, and what the path now is (a touched
// file's state is file, as add_path_info's).
func (f *fileTask) result(ctx context.Context, state string) (modules.Result, error) {
	key := "path"
	if state == "touch" || state == "link" || state == "hard" {
		key = "dest"
	}
	data := map[string]any{key: f.path, "state": state}
	if state == "link" || state == "hard" {
		data["src"] = f.o.Src
	}
	if state != "absent" && !f.h.Pending() {
		info, err := modules.StatPath(ctx, f.h, f.path, false)
		if err != nil {
			return modules.Result{}, err
		}
		f.info = info
	}
	if state != "absent" && f.info.Exists {
		data["mode"], data["owner"], data["group"] = modules.FormatMode(f.info.Mode), f.info.Owner, f.info.Group
		data["uid"], data["gid"], data["size"] = f.info.UID, f.info.GID, f.info.Size
		if state == "touch" {
			data["state"] = f.info.Type
		}
	}
	return modules.Result{Data: data}, nil
}
