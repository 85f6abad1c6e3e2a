package probe

import (
	"context"
	"fmt"
	"strings"

	"github.com/ferry-sh/ferry/internal/shellquote"
	"github.com/ferry-sh/ferry/modules"
)

// stat describes a path on the host, registered as Ansible's stat module
// does it: result.stat.exists, .size, .isdir, .mode, .checksum...
type stat struct{}

type statOptions struct {
	Path              string `opt:"path,required" aliases:"dest,name" doc:"the path to describe"`
	Follow            bool   `opt:"follow" default:"false" doc:"describe what a symlink points to"`
	GetChecksum       bool   `opt:"get_checksum" default:"true" doc:"add the checksum of a regular file the user can read (it reads the file whole: turn it off for large files)"`
	ChecksumAlgorithm string `opt:"checksum_algorithm" default:"sha1" aliases:"checksum,checksum_algo" choices:"md5,sha1,sha224,sha256,sha384,sha512" doc:"the checksum's algorithm"`
	GetMD5            bool   `opt:"get_md5" default:"false" doc:"add md5 too"`
	GetMime           bool   `opt:"get_mime" default:"true" aliases:"mime,mime_type,mime-type" doc:"add mimetype and charset, as file(1) tells them (unknown without it)"`
	GetAttributes     bool   `opt:"get_attributes" default:"true" aliases:"attr,attributes" doc:"add the file's attributes, as lsattr(1) tells them"`
}

func init() { modules.Register(stat{}) }

// checksumTools are the host commands of stat's checksum algorithms.
var checksumTools = map[string]string{"md5": "md5sum", "sha1": "sha1sum", "sha224": "sha224sum", "sha256": "sha256sum", "sha384": "sha384sum", "sha512": "sha512sum"}

func (stat) Spec() modules.Spec {
	return modules.Spec{
		Name:    "stat",
		Returns: []string{"changed", "stat"}, // the order of Ansible's result
		Summary: "Describe a file or directory on the host (read-only).",
		Args:    modules.OptionsOf[statOptions](),
		Check:   modules.CheckSupported,
	}
}

func (stat) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[statOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	path, follow := o.Path, o.Follow
	info, err := modules.StatPath(ctx, h, path, follow)
	if err != nil {
		return modules.Result{}, err
	}
	if !info.Exists {
		return modules.Result{Data: map[string]any{"stat": map[string]any{"exists": false}}}, nil
	}
	entries, _, err := modules.ListEntries(ctx, h, modules.EntryQuery{Root: path, MaxDepth: 0, Follow: follow, Physical: !follow})
	if err != nil {
		return modules.Result{}, err
	}
	if len(entries) != 1 {
		return modules.Result{}, fmt.Errorf("find described %d entries for %s", len(entries), path)
	}
	st := entries[0].StatInfo()
	st["exists"], st["path"] = true, path
	if st["pw_name"] == "" {
		delete(st, "pw_name") // Ansible leaves out a name the uid does not have
	}
	if st["gr_name"] == "" {
		delete(st, "gr_name")
	}
	if err := addHostDetails(ctx, h, o, entries[0], st); err != nil {
		return modules.Result{}, err
	}
	return modules.Result{Data: map[string]any{"stat": modules.Ordered(st, statOrder...)}}, nil
}

// statOrder is the order of the stat module's output dict.
var statOrder = []string{"exists", "path", "mode", "isdir", "ischr", "isblk", "isreg", "isfifo", "islnk", "issock",
	"uid", "gid", "size", "inode", "dev", "nlink", "atime", "mtime", "ctime", "wusr", "rusr", "xusr", "wgrp", "rgrp",
	"xgrp", "woth", "roth", "xoth", "isuid", "isgid", "blocks", "block_size", "device_type", "readable", "writeable",
	"executable", "lnk_source", "lnk_target", "pw_name", "gr_name", "md5", "checksum", "mimetype", "charset",
	"version", "attributes", "attr_flags"}

// addHostDetails adds what one more script tells, as the become user: the
// access bits, a link's source and target, the checksums, the mime type and
// the attributes. Each is one line of the script's output.
func addHostDetails(ctx context.Context, h *modules.Host, o statOptions, e modules.Entry, st map[string]any) error {
	path := o.Path
	q := shellquote.Quote(path)
	deref := ""
	if e.Type != 'l' && o.Follow {
		deref = "-L "
	}
	lines := []string{
		fmt.Sprintf("for op in r w x; do if test -$op %s; then printf 1; else printf 0; fi; done; echo", q),
		fmt.Sprintf("stat %s-c '%%b %%o %%t %%T' -- %s", deref, q),
	}
	if e.Type == 'l' {
		lines = append(lines, fmt.Sprintf("realpath -m -- %s", q))
	}
	// The checksums to add: result key and algorithm.
	var sums [][2]string
	if e.Type == 'f' && o.GetMD5 {
		sums = append(sums, [2]string{"md5", "md5"})
	}
	if e.Type == 'f' && o.GetChecksum {
		sums = append(sums, [2]string{"checksum", o.ChecksumAlgorithm})
	}
	for _, s := range sums {
		lines = append(lines, fmt.Sprintf("if test -r %s; then %s < %s; else echo; fi", q, checksumTools[s[1]], q))
	}
	if o.GetMime {
		lines = append(lines, fmt.Sprintf("file --mime-type --mime-encoding -- %s 2>/dev/null || echo", q))
	}
	if o.GetAttributes {
		lines = append(lines, fmt.Sprintf("lsattr -vd -- %s 2>/dev/null || echo", q))
	}
	out, err := modules.RunScript(ctx, h, strings.Join(lines, "\n"))
	if err != nil {
		return err
	}
	got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(got) < len(lines) {
		return fmt.Errorf("describing %s printed %q", path, out)
	}
	access := got[0]
	st["readable"], st["writeable"], st["executable"] = access[0] == '1', access[1] == '1', access[2] == '1'
	if err := addBlocks(got[1], st); err != nil {
		return fmt.Errorf("describing %s: %w", path, err)
	}
	got = got[2:]
	if e.Type == 'l' {
		st["lnk_source"], st["lnk_target"] = got[0], e.Target
		got = got[1:]
	}
	for _, s := range sums {
		if sum, _, _ := strings.Cut(got[0], " "); sum != "" {
			st[s[0]] = sum
		}
		got = got[1:]
	}
	if o.GetMime {
		st["mimetype"], st["charset"] = parseMime(got[0])
		got = got[1:]
	}
	if o.GetAttributes {
		st["version"], st["attributes"], st["attr_flags"] = parseLsattr(got[0])
	}
	return nil
}

// parseMime reads `file --mime-type --mime-encoding`: "path: text/plain;
// charset=us-ascii".
func parseMime(line string) (mimetype, charset string) {
	i := strings.LastIndex(line, ":")
	if i < 0 {
		return "unknown", "unknown"
	}
	t, c, ok := strings.Cut(line[i+1:], ";")
	_, cs, ok2 := strings.Cut(c, "=")
	if !ok || !ok2 {
		return "unknown", "unknown"
	}
	return strings.TrimSpace(t), strings.TrimSpace(cs)
}

// lsattrNames are Ansible's names of lsattr's flag letters
// (module_utils/basic.py FILE_ATTRIBUTES).
var lsattrNames = map[rune]string{'A': "noatime", 'a': "append", 'c': "compressed", 'C': "nocow", 'd': "nodump", 'D': "dirsync",
	'e': "extents", 'E': "encrypted", 'h': "blocksize", 'i': "immutable", 'I': "indexed", 'j': "journalled", 'N': "inline",
	's': "zero", 'S': "synchronous", 't': "notail", 'T': "blockroot", 'u': "undelete", 'X': "compressedraw", 'Z': "compresseddirty"}

// parseLsattr reads `lsattr -vd`: "version flags path", as Ansible's
// get_file_attributes does; a file system without attributes gives none.
func parseLsattr(line string) (version any, attributes []any, flags string) {
	f := strings.Fields(line)
	if len(f) < 3 {
		return nil, []any{}, ""
	}
	flags = strings.ReplaceAll(f[1], "-", "")
	attributes = []any{}
	for _, r := range flags {
		if name, ok := lsattrNames[r]; ok {
			attributes = append(attributes, name)
		}
	}
	return f[0], attributes, flags
}

// addBlocks adds os.stat's st_blocks, st_blksize and st_rdev from `stat -c
// '%b %o %t %T'` (the device's major and minor numbers in hex).
func addBlocks(line string, st map[string]any) error {
	var blocks, blksize int64
	var major, minor uint64
	if _, err := fmt.Sscanf(line, "%d %d %x %x", &blocks, &blksize, &major, &minor); err != nil {
		return fmt.Errorf("stat printed %q", line)
	}
	st["blocks"], st["block_size"] = blocks, blksize
	// Linux's makedev, as Python's st_rdev holds it.
	st["device_type"] = minor&0xff | (major&0xfff)<<8 | (minor&^0xff)<<12 | (major&^0xfff)<<32
	return nil
}
