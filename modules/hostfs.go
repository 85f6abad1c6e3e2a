package modules

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ferry-sh/ferry/internal/shellquote"
)

// Helpers for modules that inspect and change files on the host. Reads go
// through the Host's probes, changes through the gate's Writer, so a module
// behaves the same locally and over SSH, and every path is quoted for the
// shell.

// RunScript runs a shell script that only reads (a probe) on the host as the
// task's become user. A non-zero exit is an error that names the script and
// carries its stderr, because every script here is a step that must succeed.
func RunScript(ctx context.Context, h *Host, script string) (string, error) {
	out, err := h.Query(ctx, Command{Shell: script, Become: h.Become})
	return scriptOutput(h, script, out, err)
}

// WriteScript runs a shell script that changes the host, through the gate's
// Writer, as RunScript does.
func WriteScript(ctx context.Context, w Writer, script string) (string, error) {
	out, err := w.Run(ctx, Command{Shell: script, Become: w.h.Become})
	return scriptOutput(w.h, script, out, err)
}

func scriptOutput(h *Host, script string, out Output, err error) (string, error) {
	if err != nil {
		return "", fmt.Errorf("running `%s` on %s: %w", script, HostLabel(h), err)
	}
	if out.RC != 0 {
		return out.Stdout, fmt.Errorf("`%s` failed on %s (rc %d): %s", script, HostLabel(h), out.RC, FirstLine(out.Stderr))
	}
	return out.Stdout, nil
}

func HostLabel(h *Host) string {
	if h.Name == "" {
		return "the host"
	}
	return h.Name
}

func FirstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	if s == "" {
		return "no error output"
	}
	return s
}

// PathInfo is what the file modules need to know about a path on the host.
type PathInfo struct {
	Exists bool
	Type   string // file, directory, link, or other
	Mode   uint32 // permission bits with setuid, setgid and sticky (07777)
	Owner  string
	Group  string
	UID    int
	GID    int
	Size   int64
	Inode  string // device:inode, to recognise hard links
	Target string // a symlink's target, as written
	Via    string // with follow, when path is a symlink: the file it resolves to
}

// StatPath describes path on the host with one `stat` call. With follow, a
// symlink is described by what it points to (and a dangling one is absent),
// and Via says where it leads.
func StatPath(ctx context.Context, h *Host, path string, follow bool) (PathInfo, error) {
	q := shellquote.Quote(path)
	var script string
	if follow {
		script = fmt.Sprintf("if [ -e %[1]s ]; then stat -L -c '%[2]s' -- %[1]s; "+
			"if [ -L %[1]s ]; then readlink -f -- %[1]s; fi; fi", q, StatFormat)
	} else {
		script = fmt.Sprintf("if [ -e %[1]s ] || [ -L %[1]s ]; then stat -c '%[2]s' -- %[1]s; "+
			"if [ -L %[1]s ]; then readlink -- %[1]s; fi; fi", q, StatFormat)
	}
	out, err := RunScript(ctx, h, script)
	if err != nil {
		return PathInfo{}, err
	}
	if out == "" {
		return PathInfo{}, nil
	}
	statLine, link, _ := strings.Cut(out, "\n")
	info, err := ParseStatLine(statLine)
	if err != nil {
		return PathInfo{}, fmt.Errorf("reading stat output for %s: %w", path, err)
	}
	link = strings.TrimSuffix(link, "\n")
	switch {
	case info.Type == "link":
		info.Target = link
	case follow:
		info.Via = link
	}
	return info, nil
}

// StatFormat is the stat(1) format ParseStatLine reads (it holds no quote).
const StatFormat = "%f|%U|%G|%u|%g|%s|%d:%i"

// ParseStatLine reads one line of `stat -c StatFormat`.
func ParseStatLine(line string) (PathInfo, error) {
	f := strings.Split(strings.TrimSpace(line), "|")
	if len(f) != 7 {
		return PathInfo{}, fmt.Errorf("unexpected %q", line)
	}
	raw, err := strconv.ParseUint(f[0], 16, 32)
	if err != nil {
		return PathInfo{}, fmt.Errorf("mode %q: %w", f[0], err)
	}
	uid, err1 := strconv.Atoi(f[3])
	gid, err2 := strconv.Atoi(f[4])
	size, err3 := strconv.ParseInt(f[5], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return PathInfo{}, fmt.Errorf("unexpected %q", line)
	}
	info := PathInfo{Exists: true, Mode: uint32(raw) & 0o7777, Owner: f[1], Group: f[2], UID: uid, GID: gid, Size: size, Inode: f[6]}
	switch raw & 0o170000 {
	case 0o100000:
		info.Type = "file"
	case 0o040000:
		info.Type = "directory"
	case 0o120000:
		info.Type = "link"
	default:
		info.Type = "other"
	}
	return info, nil
}

// OwnedBy reports whether owner/group (names or numeric ids; "" means any)
// match the path's.
func (p PathInfo) OwnedBy(owner, group string) bool {
	if owner != "" && owner != p.Owner && owner != strconv.Itoa(p.UID) {
		return false
	}
	return group == "" || group == p.Group || group == strconv.Itoa(p.GID)
}

// OwnerSpec is the chown argument for owner and group ("app:app", "app", ":app").
func OwnerSpec(owner, group string) string {
	if group == "" {
		return owner
	}
	return owner + ":" + group
}

// HostSHA256 hashes a file on the host: with OpenSSL when the host has it
// (the CPU's SHA instructions, about 4 x coreutils' speed on a large file),
// else with sha256sum. Both print the hex digest first.
func HostSHA256(ctx context.Context, h *Host, path string) (string, error) {
	q := shellquote.Quote(path)
	out, err := RunScript(ctx, h, fmt.Sprintf("if command -v openssl >/dev/null 2>&1; then openssl dgst -sha256 -r < %s; else sha256sum -- %s; fi", q, q))
	if err != nil {
		return "", err
	}
	sum, _, _ := strings.Cut(strings.TrimSpace(out), " ")
	if len(sum) != 64 {
		return "", fmt.Errorf("sha256sum of %s printed %q, not a sha256", path, FirstLine(out))
	}
	return sum, nil
}

// ReadFile reads at most limit bytes of a file on the host. Without
// become it streams through Conn.Open; with become the login user may not be
// able to read it, so it goes through `head` as the become user.
func ReadFile(ctx context.Context, h *Host, path string, limit int64) ([]byte, error) {
	if h.Become != nil {
		out, err := RunScript(ctx, h, fmt.Sprintf("head -c %d -- %s", limit, shellquote.Quote(path)))
		return []byte(out), err
	}
	r, err := h.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, limit))
}

// PathExists tells whether path exists on the host, as the become user
// when there is one (a login user may not see into root-only directories).
func PathExists(ctx context.Context, h *Host, path string) (bool, error) {
	if h.Become == nil {
		fi, err := h.Stat(ctx, path)
		return fi.Exists, err
	}
	out, err := h.Query(ctx, Command{Shell: "test -e " + shellquote.Quote(path), Become: h.Become})
	if err != nil {
		return false, err
	}
	return out.RC == 0, nil
}

// OwnDirScript creates dir (with its parents) unless it exists, then
// insists that it is a real directory (not a link) of the user running the
// script that nobody else may write to: what is put there and later run
// (an installer) must not be replaceable by another local user.
func OwnDirScript(dir string) string {
	return fmt.Sprintf(`d=%s
mkdir -p -- "$d" && test ! -L "$d" && test -O "$d" && [ $((0$(stat -c %%a -- "$d") & 022)) = 0 ] || `+
		`{ echo "$d must be a directory of $(id -un)'s that others cannot write to (not a link); fix its owner and mode or choose another" >&2; exit 1; }`,
		shellquote.Quote(dir))
}
