package files

import (
	"archive/zip"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/ferry-sh/ferry/internal/anylist"
	"github.com/ferry-sh/ferry/internal/fnmatch"
	"github.com/ferry-sh/ferry/internal/shellquote"
	"github.com/ferry-sh/ferry/modules"
)

// unzipArchive is unarchive's ZipArchive (ansible-core 2.14): zipinfo -T -s
// lists the members, each is compared with what dest holds (type, mtime,
// size, CRC-32, permissions, owner), and unzip -o unpacks the archive when
// one differs. A controller archive is first copied to a private temporary
// file on the host (unzip needs a file it can seek), removed afterwards.
func unzipArchive(ctx context.Context, h *modules.Host, o unarchiveOptions, a archive, data map[string]any) (modules.Result, error) {
	src := a.remote
	z := &zipJob{h: h, o: o}
	if a.local != "" {
		if h.Check { // nothing may be copied: the controller's archive is read here
			return z.checkLocal(ctx, a, data)
		}
		tmp, err := uploadPrivate(ctx, h, a.local)
		if err != nil {
			return modules.Result{}, err
		}
		defer h.Act(func(w modules.Writer) error { //nolint:errcheck // best effort: a private temporary file
			_, err := modules.WriteScript(ctx, w, "rm -f -- "+shellquote.Quote(tmp))
			return err
		})
		src = tmp
	}
	data["src"] = src
	z.src = src
	members, err := z.members(ctx)
	if err != nil {
		return modules.Result{}, err
	}
	diff, err := z.differences(ctx)
	if err != nil {
		return modules.Result{}, err
	}
	if diff != "" {
		data["diff"] = map[string]any{"prepared": diff}
		unzip, err := binPath(ctx, z.h, "unzip")
		if err != nil {
			return modules.Result{}, err
		}
		argv := append(append([]string{unzip, "-o"}, o.ExtraOpts...), src)
		if len(o.Exclude) > 0 {
			argv = append(append(argv, "-x"), o.Exclude...)
		}
		argv = append(append(argv, o.Include...), "-d", o.Dest)
		var out modules.Output
		err = h.Change(fmt.Sprintf("unpack %s into %s", a.label, o.Dest), func(w modules.Writer) error {
			var err error
			out, err = w.Run(ctx, modules.Command{Argv: argv, Become: h.Become, Env: map[string]string{"LC_ALL": "C"}})
			return err
		})
		if err != nil {
			return modules.Result{}, err
		}
		if !h.Check {
			data["extract_results"] = map[string]any{"cmd": anylist.Of(argv), "rc": out.RC, "out": out.Stdout, "err": out.Stderr}
			if out.RC != 0 {
				msg := fmt.Sprintf("failed to unpack %s to %s", src, o.Dest)
				data["msg"] = msg
				return modules.Result{Failed: true, Msg: msg, Data: data}, nil
			}
		}
	}
	if !h.Check { // whether unpacked or not, as unarchive.py
		if err := applyMemberAttrs(ctx, h, o, members); err != nil {
			return modules.Result{}, err
		}
	}
	if o.ListFiles {
		data["files"] = anylist.Of(members)
	}
	return modules.Result{Data: data}, nil
}

// checkLocal is --check of a controller archive: its members read from the
// controller's file, compared with dest as the host's would be.
func (z *zipJob) checkLocal(ctx context.Context, a archive, data map[string]any) (modules.Result, error) {
	entries, err := localZipEntries(a.local, z.o)
	if err != nil {
		return modules.Result{}, err
	}
	diff, err := z.diffOf(ctx, entries)
	if err != nil {
		return modules.Result{}, err
	}
	if diff != "" {
		data["diff"] = map[string]any{"prepared": diff}
		z.h.Report(fmt.Sprintf("unpack %s into %s", a.label, z.o.Dest))
	}
	if z.o.ListFiles {
		names, err := localZipMembers(a.local, z.o)
		if err != nil {
			return modules.Result{}, err
		}
		data["files"] = anylist.Of(names)
	}
	return modules.Result{Data: data}, nil
}

// uploadPrivate copies a controller file to a new temporary file on the
// host (mktemp: mode 0600), as the become user, and returns its path.
func uploadPrivate(ctx context.Context, h *modules.Host, local string) (string, error) {
	var tmp string
	err := h.Act(func(w modules.Writer) error {
		f, err := os.Open(local)
		if err != nil {
			return err
		}
		defer f.Close()
		out, err := w.Run(ctx, modules.Command{Shell: `t=$(mktemp) && cat > "$t" && echo "$t"`, Stdin: f, Become: h.Become})
		if err == nil && out.RC != 0 {
			err = fmt.Errorf("copying %s to %s: %s", local, modules.HostLabel(h), modules.FirstLine(out.Stderr))
		}
		tmp = strings.TrimSpace(out.Stdout)
		return err
	})
	return tmp, err
}

type zipJob struct {
	h   *modules.Host
	o   unarchiveOptions
	src string
}

func (z *zipJob) query(ctx context.Context, argv ...string) (modules.Output, error) {
	out, err := z.h.Query(ctx, modules.Command{Argv: argv, Become: z.h.Become, Env: map[string]string{"LC_ALL": "C"}})
	if err != nil {
		return out, fmt.Errorf("running %s on %s: %w", argv[0], modules.HostLabel(z.h), err)
	}
	return out, nil
}

// binPath is the path of the first of names on the host, as Ansible's
// get_bin_path finds it (the commands it runs name it so); the last name
// when none is found (running it then fails with the shell's message).
func binPath(ctx context.Context, h *modules.Host, names ...string) (string, error) {
	for _, name := range names {
		out, err := h.Query(ctx, modules.Command{Shell: "command -v " + name, Become: h.Become})
		if err != nil {
			return "", err
		}
		if p := strings.TrimSpace(out.Stdout); out.RC == 0 && strings.HasPrefix(p, "/") {
			return p, nil
		}
	}
	return names[len(names)-1], nil
}

// members is Ansible's files_in_archive of the host's archive.
func (z *zipJob) members(ctx context.Context) ([]string, error) {
	out, err := z.query(ctx, "zipinfo", "-1", z.src)
	if err != nil {
		return nil, err
	}
	if out.RC != 0 {
		return nil, fmt.Errorf("Unable to list files in the archive: %s", modules.FirstLine(out.Stderr+out.Stdout))
	}
	return filesInArchive(strings.Split(strings.TrimSuffix(out.Stdout, "\n"), "\n"), z.o), nil
}

// localZipMembers is files_in_archive of a controller archive.
func localZipMembers(local string, o unarchiveOptions) ([]string, error) {
	r, err := zip.OpenReader(local)
	if err != nil {
		return nil, fmt.Errorf("Unable to list files in the archive: %v", err)
	}
	defer r.Close()
	var all []string
	for _, f := range r.File {
		all = append(all, f.Name)
	}
	return filesInArchive(all, o), nil
}

// filesInArchive is Ansible's files_in_archive: every member's name, those
// matching exclude left out, or with include only those matching it
// (once for each pattern they match, as Ansible lists them).
func filesInArchive(all []string, o unarchiveOptions) []string {
	var names []string
	for _, name := range all {
		if len(o.Include) > 0 {
			for _, p := range o.Include {
				if fnmatch.Match(name, p) {
					names = append(names, name)
				}
			}
			continue
		}
		excluded := false
		for _, p := range o.Exclude {
			excluded = excluded || fnmatch.Match(name, p)
		}
		if !excluded {
			names = append(names, name)
		}
	}
	return names
}

// zipEntry is one line of zipinfo -T -s.
type zipEntry struct {
	ftype   byte // d, L (link) or f
	ztype   byte
	perm    string
	size    int64
	stamp   string // YYYYMMDD.HHMMSS, the host's local time
	path    string
	crc     string // CRC-32, hex
	unixish bool   // Unix permissions (else FAT's, with the umask)
}

// differences is Ansible's is_unarchived: the itemized lines of the
// members that are missing or differ ("" when everything is unpacked).
func (z *zipJob) differences(ctx context.Context) (string, error) {
	argv := []string{"zipinfo", "-T", "-s", z.src}
	if len(z.o.Exclude) > 0 {
		argv = append(append(argv, "-x"), z.o.Exclude...)
	}
	listing, err := z.query(ctx, append(argv, z.o.Include...)...)
	if err != nil {
		return "", err
	}
	crcs, err := z.query(ctx, "unzip", "-v", z.src)
	if err != nil {
		return "", err
	}
	entries := parseZipinfo(listing.Stdout, z.o.Exclude)
	for i := range entries {
		entries[i].crc = zipCRCs(crcs.Stdout)[entries[i].path]
	}
	diff, err := z.diffOf(ctx, entries)
	if err == nil && listing.RC != 0 && diff == "" {
		err = fmt.Errorf("zipinfo %s failed on %s: %s", z.src, modules.HostLabel(z.h), modules.FirstLine(listing.Stderr+listing.Stdout))
	}
	return diff, err
}

// diffOf compares the members with dest's copies: the itemized lines of
// those that are missing or differ.
func (z *zipJob) diffOf(ctx context.Context, entries []zipEntry) (string, error) {
	state, err := z.probe(ctx, entries)
	if err != nil {
		return "", err
	}
	var diff strings.Builder
	for _, e := range entries {
		if line := state.compare(e, z.o); line != "" {
			diff.WriteString(line + "\n")
		}
	}
	return diff.String(), nil
}

// localZipEntries are a controller archive's members as zipinfo -T -s
// and unzip -v describe them (what --check compares, where the archive is
// not copied to the host): a member's time is its Unix timestamp extra
// field when it has one ("@epoch"), else its MS-DOS time, the host's local
// time.
func localZipEntries(local string, o unarchiveOptions) ([]zipEntry, error) {
	r, err := zip.OpenReader(local)
	if err != nil {
		return nil, fmt.Errorf("Unable to list files in the archive: %v", err)
	}
	defer r.Close()
	var entries []zipEntry
	for _, f := range r.File {
		if !slices.Contains(filesInArchive([]string{f.Name}, o), f.Name) || slices.Contains(o.Exclude, f.Name) {
			continue
		}
		e := zipEntry{ztype: '-', size: int64(f.UncompressedSize64), path: f.Name, crc: fmt.Sprintf("%08x", f.CRC32),
			unixish: f.CreatorVersion>>8 == 3, stamp: msdosStamp(f.ModifiedDate, f.ModifiedTime)}
		mode := f.Mode()
		e.perm = mode.Perm().String()[1:]
		switch {
		case strings.HasSuffix(f.Name, "/"):
			e.ztype, e.ftype = 'd', 'd'
		case mode&os.ModeSymlink != 0:
			e.ztype, e.ftype = 'l', 'L'
		default:
			e.ftype = 'f'
		}
		if !e.unixish {
			e.perm = map[bool]string{true: "rwxrwxrwx", false: "rw-rw-rw-"}[e.ftype == 'd' || mode&0o111 != 0]
		}
		if epoch, ok := unixTime(f.Extra); ok {
			e.stamp = "@" + strconv.FormatInt(epoch, 10)
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// msdosStamp is an MS-DOS date and time as zipinfo -T writes it.
func msdosStamp(d, t uint16) string {
	return fmt.Sprintf("%04d%02d%02d.%02d%02d%02d", int(d>>9)+1980, d>>5&0xf, d&0x1f, t>>11, t>>5&0x3f, t&0x1f*2)
}

// unixTime reads the modification time of the extended timestamp extra
// field (0x5455, "UT"), which unzip restores when it is there.
func unixTime(extra []byte) (int64, bool) {
	for len(extra) >= 4 {
		tag, size := binary.LittleEndian.Uint16(extra), int(binary.LittleEndian.Uint16(extra[2:]))
		body := extra[4:min(len(extra), 4+size)]
		if tag == 0x5455 && len(body) >= 5 && body[0]&1 != 0 {
			return int64(int32(binary.LittleEndian.Uint32(body[1:]))), true
		}
		extra = extra[min(len(extra), 4+size):]
	}
	return 0, false
}

// parseZipinfo keeps the member lines of zipinfo -T -s as Ansible's parser
// does: eight fields, a permission string, a 15-character time.
func parseZipinfo(out string, excludes []string) []zipEntry {
	var entries []zipEntry
	for _, line := range strings.Split(out, "\n") {
		pcs := splitN(line, 8)
		if len(pcs) != 8 || len(pcs[0]) != 7 && len(pcs[0]) != 10 || len(pcs[6]) != 15 {
			continue
		}
		if !strings.ContainsRune("dl-?", rune(pcs[0][0])) || strings.Trim(pcs[0][1:], "rwxstah-") != "" {
			continue
		}
		size, err := strconv.ParseInt(pcs[3], 10, 64)
		if err != nil || slices.Contains(excludes, pcs[7]) {
			continue
		}
		e := zipEntry{ztype: pcs[0][0], perm: pcs[0][1:], size: size, stamp: pcs[6], path: pcs[7], unixish: len(pcs[0]) == 10}
		switch {
		case strings.HasSuffix(e.path, "/"):
			e.ftype = 'd'
		case e.ztype == 'l':
			e.ftype = 'L'
		default:
			e.ftype = 'f'
		}
		if !e.unixish { // FAT permissions: 777 for a directory or an executable, else 666, less the umask
			e.perm = map[bool]string{true: "rwxrwxrwx", false: "rw-rw-rw-"}[e.ftype == 'd' || e.perm == "rwx---"]
		}
		entries = append(entries, e)
	}
	return entries
}

// splitN is Python's str.split(None, n-1): at most n fields split on runs
// of white space, the last one keeping the rest of the line.
func splitN(line string, n int) []string {
	var out []string
	rest := strings.TrimLeft(line, " \t")
	for len(out) < n-1 && rest != "" {
		i := strings.IndexAny(rest, " \t")
		if i < 0 {
			break
		}
		out = append(out, rest[:i])
		rest = strings.TrimLeft(rest[i:], " \t")
	}
	if rest != "" {
		out = append(out, rest)
	}
	return out
}

// destState is what the host says of dest's copies of the members, and of
// the user unzip runs as.
type destState struct {
	umask            uint32
	runOwner, runGrp string
	files            map[string]destFile
	epoch            map[string]int64 // a zip time read in the host's time zone
}

type destFile struct {
	missing      bool
	typ          string // file, directory, link, other
	mode         uint32
	owner, group string
	size         int64
	mtime        int64
	wholeSecond  bool
	crc          string
}

// probe reads, in one script, the umask and user, each member's copy
// under dest (lstat, and a regular file's CRC-32 from gzip's trailer) and
// the epoch of each zip time.
func (z *zipJob) probe(ctx context.Context, entries []zipEntry) (destState, error) {
	q := shellquote.Quote
	var b strings.Builder
	b.WriteString("umask; id -un; id -gn\n")
	stamps := map[string]bool{}
	for _, e := range entries {
		p := q(path.Join(z.o.Dest, e.path))
		fmt.Fprintf(&b, "echo '@@'; if [ -L %[1]s ] || [ -e %[1]s ]; then stat -c '%%f|%%U|%%G|%%s|%%Y|%%y' -- %[1]s; "+
			"if [ -f %[1]s ] && [ ! -L %[1]s ]; then gzip -c < %[1]s | tail -c8 | od -An -tx1; fi; else echo missing; fi\n", p)
		stamps[e.stamp] = true
	}
	var order []string
	for s := range stamps {
		order = append(order, s)
		when := s
		if !strings.HasPrefix(s, "@") {
			when = s[0:4] + "-" + s[4:6] + "-" + s[6:8] + " " + s[9:11] + ":" + s[11:13] + ":" + s[13:15]
		}
		fmt.Fprintf(&b, "echo '@@'; date -d %s +%%s\n", q(when))
	}
	out, err := modules.RunScript(ctx, z.h, b.String())
	if err != nil {
		return destState{}, err
	}
	parts := strings.Split(out, "@@\n")
	if len(parts) != 1+len(entries)+len(order) {
		return destState{}, fmt.Errorf("probing %s on %s: unexpected output", z.o.Dest, modules.HostLabel(z.h))
	}
	head := strings.Fields(parts[0])
	if len(head) != 3 {
		return destState{}, fmt.Errorf("probing %s on %s: unexpected %q", z.o.Dest, modules.HostLabel(z.h), parts[0])
	}
	umask, _ := strconv.ParseUint(head[0], 8, 32)
	st := destState{umask: uint32(umask), runOwner: head[1], runGrp: head[2], files: map[string]destFile{}, epoch: map[string]int64{}}
	for i, e := range entries {
		st.files[e.path] = parseDestFile(parts[1+i])
	}
	for i, s := range order {
		st.epoch[s], _ = strconv.ParseInt(strings.TrimSpace(parts[1+len(entries)+i]), 10, 64)
	}
	return st, nil
}

func parseDestFile(rec string) destFile {
	lines := strings.SplitN(strings.TrimSpace(rec), "\n", 2)
	f := strings.Split(lines[0], "|")
	if len(f) != 6 {
		return destFile{missing: true}
	}
	raw, _ := strconv.ParseUint(f[0], 16, 32)
	d := destFile{mode: uint32(raw) & 0o7777, owner: f[1], group: f[2]}
	d.size, _ = strconv.ParseInt(f[3], 10, 64)
	d.mtime, _ = strconv.ParseInt(f[4], 10, 64)
	d.wholeSecond = strings.Contains(f[5], ".000000000 ")
	d.typ = map[uint64]string{0o100000: "file", 0o040000: "directory", 0o120000: "link"}[raw&0o170000]
	if len(lines) == 2 { // gzip's trailer: CRC-32 then size, little-endian
		if b := strings.Fields(lines[1]); len(b) >= 4 {
			d.crc = b[3] + b[2] + b[1] + b[0]
		}
	}
	return d
}

// compare is one member's part of is_unarchived: its itemized line, or ""
// when dest's copy is as the archive has it.
func (st destState) compare(e zipEntry, o unarchiveOptions) string {
	d := st.files[e.path]
	switch {
	case d.missing:
		return fmt.Sprintf(">%c++++++.?? %s", e.ftype, e.path)
	case e.ftype == 'd' && d.typ != "directory", e.ftype == 'f' && d.typ != "file", e.ftype == 'L' && d.typ != "link":
		return fmt.Sprintf("c%c++++++.?? %s", e.ftype, e.path)
	}
	item := []byte(fmt.Sprintf(".%c.......??", e.ftype))
	change := false
	if d.typ == "file" {
		stamp := st.epoch[e.stamp]
		if o.KeepNewer {
			if stamp > d.mtime {
				change, item[4] = true, 't'
			} else if stamp < d.mtime {
				return "" // newer on the host: excluded
			}
		} else if stamp != d.mtime || !d.wholeSecond {
			change, item[4] = true, 't'
		}
		if e.size != d.size {
			change, item[3] = true, 's'
		}
		if !strings.EqualFold(strings.TrimLeft(e.crc, "0"), strings.TrimLeft(d.crc, "0")) {
			change, item[2] = true, 'c'
		}
	}
	if e.ftype != 'L' && st.wantMode(e, d, o) != d.mode {
		change, item[5] = true, 'p'
	}
	futOwner, futGroup := st.runOwner, st.runGrp
	if o.Owner != "" {
		futOwner = o.Owner
	}
	if o.Group != "" {
		futGroup = o.Group
	}
	if d.owner != futOwner {
		change, item[6] = true, 'o'
	}
	if d.group != futGroup {
		change, item[6] = true, 'g'
	}
	if !change {
		return ""
	}
	return string(item) + " " + e.path
}

// wantMode is the mode a member's copy should have: the task's (a symbolic
// one applied to the copy's current mode), else the archive's less the
// umask for FAT permissions. A mode that does not apply is caught before
// the module runs.
func (st destState) wantMode(e zipEntry, d destFile, o unarchiveOptions) uint32 {
	if o.Mode != nil {
		want, _ := o.WantMode(modules.PathInfo{Mode: d.mode, Type: d.typ})
		return want
	}
	umask := uint32(0)
	if !e.unixish {
		umask = st.umask
	}
	return permToMode(e.perm) &^ umask
}

// permToMode is Ansible's _permstr_to_octal: rw-r--r-- is 0644 (s and t
// count as x; unzip sets no setuid, setgid or sticky bit).
func permToMode(perm string) uint32 {
	var mode uint32
	for i := 0; i < 9 && i < len(perm); i++ {
		if strings.ContainsRune("rwxst", rune(perm[len(perm)-1-i])) {
			mode |= 1 << i
		}
	}
	return mode
}
