package sysconf

import (
	"context"
	"errors"
	"path"
	"strings"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

func init() { modules.Register(mount{}) }

// mount is ansible.posix.mount (1.5.4) on Linux: the mount point's line in
// an fstab file, and the mount itself (mount, umount, mount -o remount).
type mount struct{}

// mountOptions are the collection's arguments (ephemeral is not here yet).
type mountOptions struct {
	Path   string  `opt:"path,required" aliases:"name" doc:"The mount point (swap lines have none)."`
	Src    *string `opt:"src" doc:"The device, network share or file system to mount (required with mounted and present)."`
	Fstype *string `opt:"fstype" doc:"The file system type (required with mounted and present)."`
	Opts   *string `opt:"opts" doc:"Mount options (default: defaults)."`
	Dump   string  `opt:"dump" default:"0" doc:"The fstab dump field."`
	Passno string  `opt:"passno" default:"0" doc:"The fstab passno field."`
	State  string  `opt:"state,required" choices:"mounted,unmounted,present,absent,absent_from_fstab,remounted" doc:"mounted: in fstab and mounted; present: in fstab only; unmounted: not mounted, fstab untouched; absent: out of fstab, unmounted and its directory removed; absent_from_fstab: out of fstab only; remounted: mount -o remount."`
	Fstab  string  `opt:"fstab" default:"/etc/fstab" kind:"abspath" doc:"The fstab file (mount and remount read it with -T)."`
	Boot   bool    `opt:"boot" default:"yes" doc:"Mount at boot: no adds noauto to opts (unless opts has defaults)."`
	Backup bool    `opt:"backup" doc:"Copy the fstab to a timestamped backup before changing it."`
}

func (mount) Spec() modules.Spec {
	return modules.Spec{
		Name:       "mount",
		Summary:    "Control mount points and their fstab lines (ansible.posix.mount)",
		Collection: "ansible.posix",
		Args:       modules.OptionsOf[mountOptions](),
		Check:      modules.CheckSupported,
	}
}

// mountTask is one task, its arguments as the collection fills them in.
type mountTask struct {
	o        mountOptions
	entry    fstabEntry
	hasSrc   bool
	boot     string // yes, or no when boot is false and opts has no noauto
	warnings []any
}

func newMountTask(o mountOptions) mountTask {
	t := mountTask{o: o, hasSrc: o.Src != nil, boot: "yes", warnings: []any{}}
	t.entry = fstabEntry{name: o.Path, opts: "defaults", dump: o.Dump, passno: o.Passno}
	if o.Src != nil {
		t.entry.src = *o.Src
	}
	if o.Fstype != nil {
		t.entry.fstype = *o.Fstype
	}
	if o.Opts != nil {
		t.entry.opts = *o.Opts
	}
	opts := strings.Split(t.entry.opts, ",")
	switch {
	case contains(opts, "noauto"):
		t.warnings = append(t.warnings, "Ignore the 'boot' due to 'opts' contains 'noauto'.")
	case !o.Boot && contains(opts, "defaults"):
		t.boot = "no"
		t.warnings = append(t.warnings, "Ignore the 'boot' due to 'opts' contains 'defaults'.")
	case !o.Boot:
		t.boot = "no"
		t.entry.opts += ",noauto"
	}
	return t
}

// missing is the collection's required_if: mounted and present need src
// and fstype.
func (t mountTask) missing() string {
	if t.o.State != "mounted" && t.o.State != "present" {
		return ""
	}
	var miss []string
	if t.o.Src == nil {
		miss = append(miss, "src")
	}
	if t.o.Fstype == nil {
		miss = append(miss, "fstype")
	}
	if len(miss) == 0 {
		return ""
	}
	return "state is " + t.o.State + " but all of the following are missing: " + strings.Join(miss, ", ")
}

func (mount) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[mountOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	t := newMountTask(o)
	if msg := t.missing(); msg != "" {
		return failedResult(msg), nil
	}
	lines, err := t.fstab(ctx, h)
	if err != nil {
		return modules.Result{}, err
	}
	backup, err := t.converge(ctx, h, lines)
	if err != nil {
		return modules.Result{}, err
	}
	return modules.Result{Data: t.data(backup)}, nil
}

// data is what the collection registers: its filled-in arguments.
func (t mountTask) data(backup string) map[string]any {
	d := map[string]any{"name": t.o.Path, "opts": t.entry.opts, "dump": t.entry.dump, "passno": t.entry.passno,
		"fstab": t.o.Fstab, "boot": t.boot, "backup_file": backup, "warnings": t.warnings}
	if t.o.Src != nil {
		d["src"] = *t.o.Src
	}
	if t.o.Fstype != nil {
		d["fstype"] = *t.o.Fstype
	}
	return d
}

// fstab reads the fstab file's lines. A missing one is made empty (with its
// directory) as the collection does, without counting it as a change: so
// through Act, which refuses it in check mode, where the collection makes
// it all the same and ferry reads it as empty instead.
func (t mountTask) fstab(ctx context.Context, h *modules.Host) ([]string, error) {
	info, err := modules.StatPath(ctx, h, t.o.Fstab, true)
	if err != nil || info.Exists {
		if err == nil {
			return fileLines(ctx, h, t.o.Fstab)
		}
		return nil, err
	}
	line := "mkdir -p " + hostcmd.Quote(path.Dir(t.o.Fstab)) + " && touch " + hostcmd.Quote(t.o.Fstab)
	out, err := hostcmd.Act(ctx, h, line)
	if errors.Is(err, modules.ErrCheckMode) {
		return nil, nil
	}
	if err == nil && out.RC != 0 {
		err = errString("Failed to open " + t.o.Fstab + " due to " + strings.TrimSpace(out.Stderr))
	}
	return nil, err
}

// converge is the collection's main for the task's state; it returns the
// fstab's backup, if one was made.
func (t mountTask) converge(ctx context.Context, h *modules.Host, lines []string) (string, error) {
	switch t.o.State {
	case "absent_from_fstab":
		return t.unset(ctx, h, lines)
	case "absent":
		return t.absent(ctx, h, lines)
	case "unmounted":
		return "", t.unmounted(ctx, h)
	case "present":
		next, changed := setFstab(lines, t.entry, t.hasSrc)
		if !changed {
			return "", nil
		}
		return writeFstab(ctx, h, t.o.Fstab, next, t.o.Backup)
	case "remounted":
		return "", t.remounted(ctx, h)
	}
	return t.mounted(ctx, h, lines)
}

func (t mountTask) unset(ctx context.Context, h *modules.Host, lines []string) (string, error) {
	next, changed := unsetFstab(lines, t.o.Path, t.entry.src, t.hasSrc)
	if !changed {
		return "", nil
	}
	return writeFstab(ctx, h, t.o.Fstab, next, t.o.Backup)
}

// absent takes the entry out of the fstab and, when there was one, unmounts
// the path and removes its directory.
func (t mountTask) absent(ctx context.Context, h *modules.Host, lines []string) (string, error) {
	_, changed := unsetFstab(lines, t.o.Path, t.entry.src, t.hasSrc)
	backup, err := t.unset(ctx, h, lines)
	if err != nil || !changed {
		return backup, err
	}
	st, err := probeMount(ctx, h, t.o.Path)
	if err != nil {
		return backup, err
	}
	if st.mounted(t.o.Path, "") {
		if failed, msg, err := runMount(ctx, h, "umount "+hostcmd.Quote(t.o.Path)); err != nil || failed {
			return backup, orFail(err, "Error unmounting "+t.o.Path+": "+msg)
		}
	}
	if !st.exists {
		return backup, nil
	}
	out, err := hostcmd.Change(ctx, h, "remove "+t.o.Path, "rmdir "+hostcmd.Quote(t.o.Path))
	if err == nil && out.RC != 0 {
		err = errString("Error rmdir " + t.o.Path + ": " + strings.TrimSpace(out.Stderr))
	}
	return backup, err
}

func (t mountTask) unmounted(ctx context.Context, h *modules.Host) error {
	st, err := probeMount(ctx, h, t.o.Path)
	if err != nil || !st.mounted(t.o.Path, "") {
		return err
	}
	failed, msg, err := runMount(ctx, h, "umount "+hostcmd.Quote(t.o.Path))
	if err != nil || failed {
		return orFail(err, "Error unmounting "+t.o.Path+": "+msg)
	}
	return nil
}

func (t mountTask) remounted(ctx context.Context, h *modules.Host) error {
	failed, msg, err := t.remount(ctx, h)
	if err != nil || failed {
		return orFail(err, "Error remounting "+t.o.Path+": "+msg)
	}
	return nil
}

// orFail is err, else the task's failure msg.
func orFail(err error, msg string) error {
	if err != nil {
		return err
	}
	return errString(msg)
}
