package modules

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/ferry-sh/ferry/internal/shellquote"
)

// Entry is one path as find(1) describes it on the host: lstat's view, or
// with Follow what a link points to. stat and find report it as Ansible's
// Python os.stat fields (StatInfo).
type Entry struct {
	Rel        string // the path below the query's root ("" for the root)
	Type       byte   // find's %y: f, d, l, c, b, p, s
	TargetType byte   // find's %Y: the type a link leads to (N: nothing)
	Mode       uint32 // permission bits with setuid, setgid, sticky
	UID, GID   int
	Owner      string // "" when the uid has no name, as Ansible's pwd lookup
	Group      string
	Size       int64
	Inode, Dev int64
	Nlink      int64
	Atime      float64
	Mtime      float64
	Ctime      float64
	Target     string // a link's target as written
}

// EntryQuery says which entries ListEntries lists.
type EntryQuery struct {
	Root     string
	MinDepth int
	MaxDepth int  // -1: no limit
	Follow   bool // describe and descend through symbolic links (find -L)
	// Physical describes a root that is a link as the link itself (find
	// -P); by default the root is followed (find -H), as os.walk does.
	Physical bool
}

// entryFormat is find's -printf for one entry: the fixed fields, then the
// link target and the relative path, each ended by NUL (a name can hold
// anything else).
const entryFormat = `%y|%Y|%m|%U|%G|%u|%g|%s|%i|%D|%n|%A@|%T@|%C@\0%l\0%P\0`

// ListEntries runs one find on the host, as the become user, and returns
// the entries in find's order and the host's clock (for ages).
func ListEntries(ctx context.Context, h *Host, q EntryQuery) ([]Entry, float64, error) {
	mode := "-H" // a root that is a link is followed, as Python's os.walk does
	switch {
	case q.Follow:
		mode = "-L"
	case q.Physical:
		mode = "-P"
	}
	depth := fmt.Sprintf("-mindepth %d", q.MinDepth)
	if q.MaxDepth >= 0 {
		depth += fmt.Sprintf(" -maxdepth %d", q.MaxDepth)
	}
	out, err := RunScript(ctx, h, fmt.Sprintf("date +%%s.%%N && find %s %s %s -printf '%s'", mode, shellquote.Quote(q.Root), depth, entryFormat))
	if err != nil {
		return nil, 0, err
	}
	clock, rest, _ := strings.Cut(out, "\n")
	now, err := strconv.ParseFloat(clock, 64)
	if err != nil {
		return nil, 0, fmt.Errorf("the host's clock printed %q", clock)
	}
	fields := strings.Split(rest, "\x00")
	var entries []Entry
	for i := 0; i+2 < len(fields); i += 3 {
		e, err := parseEntry(fields[i])
		if err != nil {
			return nil, 0, fmt.Errorf("reading find's output for %s: %w", q.Root, err)
		}
		e.Target, e.Rel = fields[i+1], fields[i+2]
		entries = append(entries, e)
	}
	return entries, now, nil
}

func parseEntry(line string) (Entry, error) {
	f := strings.Split(line, "|")
	if len(f) != 14 || f[0] == "" || f[1] == "" {
		return Entry{}, fmt.Errorf("unexpected %q", line)
	}
	mode, err := strconv.ParseUint(f[2], 8, 32)
	if err != nil {
		return Entry{}, fmt.Errorf("unexpected mode in %q", line)
	}
	e := Entry{Type: f[0][0], TargetType: f[1][0], Mode: uint32(mode), Owner: f[5], Group: f[6]}
	ints := []*int64{&e.Size, &e.Inode, &e.Dev, &e.Nlink}
	for i, p := range ints {
		if *p, err = strconv.ParseInt(f[7+i], 10, 64); err != nil {
			return Entry{}, fmt.Errorf("unexpected number in %q", line)
		}
	}
	times := []*float64{&e.Atime, &e.Mtime, &e.Ctime}
	for i, p := range times {
		if *p, err = strconv.ParseFloat(f[11+i], 64); err != nil {
			return Entry{}, fmt.Errorf("unexpected time in %q", line)
		}
	}
	if e.UID, err = strconv.Atoi(f[3]); err != nil {
		return Entry{}, fmt.Errorf("unexpected uid in %q", line)
	}
	if e.GID, err = strconv.Atoi(f[4]); err != nil {
		return Entry{}, fmt.Errorf("unexpected gid in %q", line)
	}
	if e.Owner == f[3] { // find prints the number when the uid has no name
		e.Owner = ""
	}
	if e.Group == f[4] {
		e.Group = ""
	}
	return e, nil
}

// StatInfo is the entry as Ansible's find (statinfo) and stat report a
// path's os.stat fields.
func (e Entry) StatInfo() map[string]any {
	bit := func(b uint32) bool { return e.Mode&b != 0 }
	return map[string]any{
		"mode":  fmt.Sprintf("%04o", e.Mode),
		"isdir": e.Type == 'd', "ischr": e.Type == 'c', "isblk": e.Type == 'b', "isreg": e.Type == 'f',
		"isfifo": e.Type == 'p', "islnk": e.Type == 'l', "issock": e.Type == 's',
		"uid": e.UID, "gid": e.GID, "size": e.Size, "inode": e.Inode, "dev": e.Dev, "nlink": e.Nlink,
		"atime": e.Atime, "mtime": e.Mtime, "ctime": e.Ctime,
		"gr_name": e.Group, "pw_name": e.Owner,
		"wusr": bit(0o200), "rusr": bit(0o400), "xusr": bit(0o100),
		"wgrp": bit(0o020), "rgrp": bit(0o040), "xgrp": bit(0o010),
		"woth": bit(0o002), "roth": bit(0o004), "xoth": bit(0o001),
		"isuid": bit(0o4000), "isgid": bit(0o2000),
	}
}

// HostSHA1 hashes files on the host with sha1sum (Ansible's default
// checksum), in one call: the digests in the order of paths.
func HostSHA1(ctx context.Context, h *Host, paths []string) ([]string, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	quoted := make([]string, len(paths))
	for i, p := range paths {
		quoted[i] = shellquote.Quote(p)
	}
	out, err := RunScript(ctx, h, "sha1sum -z -- "+strings.Join(quoted, " "))
	if err != nil {
		return nil, err
	}
	var sums []string
	for _, rec := range strings.Split(strings.TrimSuffix(out, "\x00"), "\x00") {
		sum, _, _ := strings.Cut(rec, " ")
		sums = append(sums, sum)
	}
	if len(sums) != len(paths) {
		return nil, fmt.Errorf("sha1sum printed %d digests for %d files", len(sums), len(paths))
	}
	return sums, nil
}
