package sysconf

import (
	"context"
	"strings"

	"github.com/ferry-sh/ferry/modules"
)

// fstabEntry is the task's line of an fstab (escaped as the file has it).
type fstabEntry struct {
	src, name, fstype, opts, dump, passno string
}

// escapeFstab is the collection's _escape_fstab: space, & and \ as octal.
func escapeFstab(v string) string {
	return strings.NewReplacer(`\`, `\134`, " ", `\040`, "&", `\046`).Replace(v)
}

func (e fstabEntry) escaped() fstabEntry {
	return fstabEntry{escapeFstab(e.src), escapeFstab(e.name), escapeFstab(e.fstype), escapeFstab(e.opts), escapeFstab(e.dump), escapeFstab(e.passno)}
}

func (e fstabEntry) line() string {
	return strings.Join([]string{e.src, e.name, e.fstype, e.opts, e.dump, e.passno}, " ") + "\n"
}

// fileLines reads a file's lines, each with its newline (the last may
// have none).
func fileLines(ctx context.Context, h *modules.Host, path string) ([]string, error) {
	data, err := modules.ReadFile(ctx, h, path, 4<<20)
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, l := range strings.SplitAfter(string(data), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	return lines, nil
}

// isEntry reports whether line is an entry (not blank, not a comment) with
// a field count in counts, and returns its fields.
func isEntry(line string, counts ...int) ([]string, bool) {
	t := strings.TrimSpace(line)
	if t == "" || strings.HasPrefix(t, "#") {
		return nil, false
	}
	f := strings.Fields(line)
	for _, n := range counts {
		if len(f) == n {
			return f, true
		}
	}
	return nil, false
}

// otherMount reports whether an entry is not the task's: another mount
// point, or a swap line of another source.
func otherMount(f []string, name, src string, hasSrc bool) bool {
	fstype := ""
	if len(f) > 2 {
		fstype = f[2]
	}
	return f[1] != name || hasSrc && f[1] == "none" && fstype == "swap" && f[0] != src
}

// setFstab is the collection's _set_mount_save_old: the file's lines with
// the task's entry added or its fields brought in line, and whether that
// changed anything.
func setFstab(lines []string, want fstabEntry, hasSrc bool) ([]string, bool) {
	esc := want.escaped()
	var out []string
	exists, changed := false, false
	for _, line := range lines {
		if !strings.HasSuffix(line, "\n") {
			line += "\n"
		}
		f, ok := isEntry(line, 4, 5, 6)
		if !ok || otherMount(f, esc.name, want.src, hasSrc) {
			out = append(out, line)
			continue
		}
		exists = true
		// A missing dump or passno is Python's 0, never equal to a string.
		have := fstabEntry{src: f[0], name: f[1], fstype: f[2], opts: f[3], dump: "\x00", passno: "\x00"}
		if len(f) > 4 {
			have.dump = f[4]
		}
		if len(f) > 5 {
			have.passno = f[5]
		}
		// changed sticks once one entry differed, as in the collection.
		if have.src != esc.src || have.fstype != esc.fstype || have.opts != esc.opts || have.dump != esc.dump || have.passno != esc.passno {
			changed = true
		}
		if changed {
			out = append(out, esc.line())
		} else {
			out = append(out, line)
		}
	}
	if !exists {
		out = append(out, esc.line())
		changed = true
	}
	return out, changed
}

// unsetFstab is the collection's unset_mount: the lines without the
// task's six-field entries.
func unsetFstab(lines []string, name, src string, hasSrc bool) ([]string, bool) {
	var out []string
	changed := false
	for _, line := range lines {
		f, ok := isEntry(line, 6)
		if !ok || otherMount(f, escapeFstab(name), src, hasSrc) {
			out = append(out, line)
			continue
		}
		changed = true
	}
	return out, changed
}

// writeFstab writes the lines through the gate, with Ansible's backup copy
// first when asked; it returns the backup's path.
func writeFstab(ctx context.Context, h *modules.Host, path string, lines []string, backup bool) (string, error) {
	_, file, err := modules.WriteContent(ctx, h, modules.ContentWrite{Path: path, Content: []byte(strings.Join(lines, "")),
		Options: modules.FileEditOptions{BackupOption: modules.BackupOption{Backup: backup}}})
	return file, err
}
