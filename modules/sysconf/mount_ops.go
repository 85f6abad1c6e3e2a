package sysconf

import (
	"context"
	"strconv"
	"strings"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

// mountState is what the collection looks at: whether the path exists, is
// a mount point by stat (its device differs from its parent's, or it is its
// own parent), and the mount table by mount point (linux_mounts).
type mountState struct {
	exists, isMount bool
	table           map[string]string // mount point -> source, as get_linux_mounts has them
}

// mounted is ismount(path) or is_bind_mounted(path, src): src "" asks only
// whether something is mounted there.
func (s mountState) mounted(path, src string) bool {
	have, ok := s.table[path]
	return s.isMount || ok && (src == "" || have == src)
}

func probeMount(ctx context.Context, h *modules.Host, path string) (mountState, error) {
	p := hostcmd.Quote(path)
	out, err := hostcmd.Query(ctx, h, `p=`+p+`
if [ -e "$p" ]; then echo exists; else echo missing; fi
if [ ! -L "$p" ] && a=$(stat -c '%d %i' "$p" 2>/dev/null) && b=$(stat -c '%d %i' "$(realpath "$p/.." 2>/dev/null)" 2>/dev/null); then
  set -- $a $b; if [ "$1" != "$3" ] || [ "$2" = "$4" ]; then echo mount; else echo plain; fi
else echo plain; fi
cat /proc/self/mountinfo`)
	if err != nil {
		return mountState{}, err
	}
	lines := strings.Split(out.Stdout, "\n")
	if len(lines) < 2 {
		return mountState{}, errString("cannot read the mount state of " + path)
	}
	return mountState{exists: lines[0] == "exists", isMount: lines[1] == "mount", table: linuxMounts(lines[2:])}, nil
}

// mountRecord is one line of /proc/self/mountinfo.
type mountRecord struct {
	id, parent     int
	root, dst, src string
}

// linuxMounts is the collection's get_linux_mounts: each mount point's
// source, a bind mount's being the directory it shows (its root, under the
// parent mount's mount point).
func linuxMounts(lines []string) map[string]string {
	byID := map[int]*mountRecord{}
	var order []*mountRecord
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) < 7 {
			continue
		}
		id, err1 := strconv.Atoi(f[0])
		parent, err2 := strconv.Atoi(f[1])
		if err1 != nil || err2 != nil {
			continue
		}
		r := &mountRecord{id: id, parent: parent, root: f[3], dst: f[4], src: f[len(f)-2]}
		byID[id] = r
		order = append(order, r)
	}
	table := map[string]string{}
	for _, r := range order {
		src := r.src
		if m, ok := byID[r.parent]; ok && r.parent != 1 {
			root := r.root
			if len(m.root) > 1 && strings.HasPrefix(root, m.root+"/") {
				root = root[len(m.root):]
			}
			if m.dst != "/" {
				root = m.dst + root
			}
			src = root
		}
		table[r.dst] = src
	}
	return table
}

// runMount runs mount or umount through the gate; failed is a non-zero
// exit, msg its output (stdout then stderr).
func runMount(ctx context.Context, h *modules.Host, line string) (failed bool, msg string, err error) {
	out, err := hostcmd.Change(ctx, h, line, line)
	if err != nil || out.RC == 0 {
		return false, "", err
	}
	return true, out.Stdout + out.Stderr, nil
}

// fstabArgs is -T FILE for another fstab than /etc/fstab.
func (t mountTask) fstabArgs() string {
	if t.o.Fstab == "/etc/fstab" {
		return ""
	}
	return " -T " + hostcmd.Quote(t.o.Fstab)
}

func (t mountTask) mountNow(ctx context.Context, h *modules.Host) (bool, string, error) {
	return runMount(ctx, h, "mount"+t.fstabArgs()+" "+hostcmd.Quote(t.o.Path))
}

// remount is mount -o remount, else umount and mount, as the collection's;
// options given with remounted must not fall back.
func (t mountTask) remount(ctx context.Context, h *modules.Host) (bool, string, error) {
	opt := "remount"
	withOpts := t.o.State == "remounted" && t.entry.opts != "defaults"
	if withOpts {
		opt += "," + t.entry.opts
	}
	failed, msg, err := runMount(ctx, h, "mount -o "+hostcmd.Quote(opt)+t.fstabArgs()+" "+hostcmd.Quote(t.o.Path))
	if err != nil || !failed {
		return failed, msg, err
	}
	if withOpts {
		return false, "", errString("Options were specified with remounted, but the remount command failed. Failing in order to prevent an " +
			"unexpected mount result. Try replacing this command with a \"state: unmounted\" followed by a \"state: mounted\" " +
			"using the full desired mount options instead.")
	}
	if failed, msg, err = runMount(ctx, h, "umount "+hostcmd.Quote(t.o.Path)); err != nil || failed {
		return failed, msg, err
	}
	return t.mountNow(ctx, h)
}

// mounted is the collection's mounted state: the directory, the fstab line, then mount, or remount when the line changed; a
// failed mount puts the fstab and the directories back.
func (t mountTask) mounted(ctx context.Context, h *modules.Host, lines []string) (string, error) {
	before, err := probeMount(ctx, h, t.o.Path)
	if err != nil {
		return "", err
	}
	var created []string
	if !before.exists {
		if created, err = makeDirs(ctx, h, t.o.Path); err != nil {
			return "", err
		}
	}
	next, changed := setFstab(lines, t.entry, t.hasSrc)
	backup := ""
	if changed {
		if backup, err = writeFstab(ctx, h, t.o.Fstab, next, t.o.Backup); err != nil {
			return "", err
		}
	}
	now, err := probeMount(ctx, h, t.o.Path)
	if err != nil {
		return "", err
	}
	now.table = before.table // the collection reads the mount table once, first
	failed, msg := false, ""
	switch {
	case now.mounted(t.o.Path, t.entry.src) && changed:
		failed, msg, err = t.remount(ctx, h)
	case !now.mounted(t.o.Path, t.entry.src):
		failed, msg, err = t.mountNow(ctx, h)
	}
	if err != nil || !failed {
		return backup, err
	}
	t.undo(ctx, h, lines, changed, created)
	return backup, errString("Error mounting " + t.o.Path + ": " + msg)
}

// undo puts back the fstab and removes the directories a failed mount made.
func (t mountTask) undo(ctx context.Context, h *modules.Host, lines []string, changed bool, created []string) {
	if changed {
		_, _ = writeFstab(ctx, h, t.o.Fstab, lines, false)
	}
	for i := len(created) - 1; i >= 0; i-- {
		_, _ = hostcmd.Change(ctx, h, "remove "+created[i], "rmdir "+hostcmd.Quote(created[i]))
	}
}

// makeDirs makes the path's missing directories, returning those it made.
func makeDirs(ctx context.Context, h *modules.Host, path string) ([]string, error) {
	var words []string
	for _, d := range strings.Split(strings.Trim(path, "/"), "/") {
		words = append(words, hostcmd.Quote(d))
	}
	script := `c=; for d in ` + strings.Join(words, " ") + `; do c="$c/$d"; [ -e "$c" ] && continue; mkdir "$c" || exit 1; echo "$c"; done`
	out, err := hostcmd.Change(ctx, h, "make "+path, script)
	if err != nil {
		return nil, err
	}
	created := strings.Split(strings.TrimSuffix(out.Stdout, "\n"), "\n")
	if out.Stdout == "" {
		created = nil
	}
	if out.RC != 0 {
		return created, errString("Error making dir " + path + ": " + strings.TrimSpace(out.Stderr))
	}
	return created, nil
}
