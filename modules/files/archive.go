package files

import (
	"context"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/ferry-sh/ferry/internal/anylist"
	"github.com/ferry-sh/ferry/internal/fnmatch"
	"github.com/ferry-sh/ferry/internal/shellquote"
	"github.com/ferry-sh/ferry/modules"
)

// archiver makes an archive (tar, tar.gz, tar.bz2, tar.xz or zip) of files
// and trees on the host, or compresses one file, as community.general's
// archive (6.6.9) does. The host's own tools do the work (tar, gzip, bzip2,
// xz, zip; unzip to read a zip back), so no byte of the files crosses the
// connection. The new archive is built beside dest and replaces it only
// when its members differ from the old one's, as Ansible compares them (tar:
// each member's header; zip: each member's CRC; a compressed file: its
// content); Ansible rewrites dest every time and reports the same changed.
type archiver struct{}

type archiveOptions struct {
	Path              []string `opt:"path,required" doc:"Absolute paths or globs (* ?) on the host of the files and trees to archive."`
	Format            string   `opt:"format" default:"gz" choices:"bz2,gz,tar,xz,zip" doc:"tar compressed with gzip, bzip2 or xz, plain tar, or zip (one file alone with gz, bz2 or xz is compressed, not archived)."`
	Dest              string   `opt:"dest" kind:"abspath" doc:"The archive to write; required for several files, a glob or a directory. Default: the one file's path with .<format> added."`
	ExcludePath       []string `opt:"exclude_path" default:"" doc:"Paths or globs taken out of path's list."`
	ExclusionPatterns []string `opt:"exclusion_patterns" doc:"fnmatch patterns of members to leave out, below the paths too (tar: the member's name in the archive; zip: its full path)."`
	ForceArchive      bool     `opt:"force_archive" default:"false" doc:"Archive one file too (for unarchive), instead of compressing it."`
	Remove            bool     `opt:"remove" default:"false" doc:"Delete the sources once archived."`
	modules.FileAttrs
}

func (archiveOptions) OptionChecks() map[string]func(any) error {
	return map[string]func(any) error{"path": absPaths("path"), "exclude_path": absPaths("exclude_path")}
}

// absPaths refuses a relative path: Ansible reads it from the module's
// temporary directory on the host, which no playbook means.
func absPaths(name string) func(any) error {
	return func(v any) error {
		items, _ := v.([]any)
		for _, it := range items {
			if p := fmt.Sprint(it); !strings.HasPrefix(p, "/") {
				return fmt.Errorf("%s %q is relative: give an absolute path on the host", name, p)
			}
		}
		return nil
	}
}

func (archiver) Spec() modules.Spec {
	return modules.Spec{
		Name:       "archive",
		Collection: "community.general",
		Summary:    "Archive files and trees on the host (tar.gz, tar.bz2, tar.xz, tar, zip) or compress one file",
		Args:       modules.OptionsOf[archiveOptions](),
		Check:      modules.CheckSupported,
	}
}

// Ansible's dest_state values.
const (
	destAbsent     = "absent"
	destArchived   = "archive"
	destCompressed = "compress"
	destIncomplete = "incomplete"
)

// archiveJob is one archive task's sources and destination.
type archiveJob struct {
	o        archiveOptions
	h        *modules.Host
	paths    []string // expanded, excluded ones taken out, sorted
	root     string   // Ansible's arcroot: member names are paths without it
	dest     string
	must     bool // an archive, not one compressed file
	sources  map[string]source
	targets  []string
	missing  []string
	archived []string
}

// source is what the host says of one of the paths.
type source struct {
	exists, isDir bool
	entries       []entry // a directory's tree, as find lists it
}

// entry is one path below a source directory: its type ('d' for a
// directory) and the type of what it leads to.
type entry struct {
	path           string
	typ, following byte
}

func (archiver) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[archiveOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	expanded, globby, err := expandGlobs(ctx, h, o.Path)
	if err != nil {
		return modules.Result{}, err
	}
	excluded, _, err := expandGlobs(ctx, h, o.ExcludePath)
	if err != nil {
		return modules.Result{}, err
	}
	j := &archiveJob{o: o, h: h, dest: o.Dest, archived: []string{}, missing: []string{}}
	for _, p := range expanded {
		if !slices.Contains(excluded, p) && !slices.Contains(j.paths, p) {
			j.paths = append(j.paths, p)
		}
	}
	slices.Sort(j.paths)
	data := map[string]any{"expanded_paths": anylist.Of(expanded), "expanded_exclude_paths": anylist.Of(excluded)}
	if len(j.paths) == 0 {
		return archiveFail(ctx, h, "Error, no source paths were found", map[string]any{"path": strings.Join(o.Path, ", "),
			"expanded_paths": strings.Join(expanded, ", "), "expanded_exclude_paths": strings.Join(excluded, ", ")})
	}
	if j.sources, err = describeSources(ctx, h, j.paths); err != nil {
		return modules.Result{}, err
	}
	j.root = commonPath(j.paths)
	j.must = o.ForceArchive || globby || j.sources[j.paths[0]].isDir || len(j.paths) > 1
	if j.dest == "" && !j.must {
		j.dest = j.paths[0] + "." + o.Format
	}
	if j.dest == "" {
		return archiveFail(ctx, h, `Error, must specify "dest" when archiving multiple files or trees`,
			map[string]any{"dest": "None", "path": strings.Join(o.Path, ", ")})
	}
	if o.Remove {
		for _, p := range j.paths {
			if j.sources[p].isDir && strings.HasPrefix(j.dest, strings.TrimSuffix(p, "/")+"/") {
				return archiveFail(ctx, h, "Error, created archive can not be contained in source paths when remove=true",
					map[string]any{"path": strings.Join(j.paths, ", ")})
			}
		}
	}
	for _, p := range j.paths {
		if j.sources[p].exists {
			j.targets = append(j.targets, p)
		} else {
			j.missing = append(j.missing, p)
		}
	}
	state, err := j.run(ctx)
	if err != nil {
		return modules.Result{}, err
	}
	if err := modules.ConvergeAttrs(ctx, h, o.FileAttrs, j.dest); err != nil {
		return modules.Result{}, err
	}
	info, err := modules.StatPath(ctx, h, j.dest, false)
	if err != nil {
		return modules.Result{}, err
	}
	if info.Exists { // add_path_info describes dest only when it exists
		maps.Copy(data, pathInfoData(j.dest, info))
		delete(data, "path")
	}
	maps.Copy(data, map[string]any{"archived": anylist.Of(j.archived), "dest": j.dest,
		"dest_state": state, "arcroot": j.root, "missing": anylist.Of(j.missing)})
	return modules.Result{Data: data}, nil
}

// run makes the archive (in check mode: says whether it would, as Ansible
// does: an archive always, one compressed file when dest is missing) and
// returns Ansible's dest_state.
func (j *archiveJob) run(ctx context.Context) (string, error) {
	existed, err := modules.PathExists(ctx, j.h, j.dest)
	if err != nil {
		return "", err
	}
	switch {
	case len(j.targets) == 0:
		if !existed {
			return destAbsent, nil
		}
		if archiveName.MatchString(path.Base(j.dest)) {
			return destArchived, nil
		}
		return destCompressed, nil
	case j.h.Check:
		if j.must || !existed {
			j.h.Report(fmt.Sprintf("write %s (check mode predicts it as Ansible does, without comparing)", j.dest))
		}
		return destAbsent, nil
	}
	state := destArchived
	if j.must && len(j.missing) > 0 {
		state = destIncomplete
	}
	if !j.must && j.o.Format != "zip" && j.o.Format != "tar" {
		state = destCompressed
	}
	if err := j.write(ctx, existed); err != nil {
		return "", err
	}
	if !j.o.Remove {
		return state, nil
	}
	return state, j.h.Change("remove the archived sources", func(w modules.Writer) error {
		_, err := modules.WriteScript(ctx, w, j.removeScript())
		return err
	})
}

// archiveName is Ansible's is_archive: a name an archive has.
var archiveName = regexp.MustCompile(`(?i)\.(tar|tar\.(gz|bz2|xz)|tgz|tbz2|zip)$`)

// write builds the new archive in a private directory beside dest and
// puts it in place when it differs from dest's.
func (j *archiveJob) write(ctx context.Context, existed bool) error {
	var tmp string
	err := j.h.Act(func(w modules.Writer) error {
		dir := path.Dir(j.dest)
		out, err := modules.WriteScript(ctx, w, "mktemp -d -- "+shellquote.Quote(dir+"/.ferry-archive.XXXXXXXX"))
		tmp = strings.TrimSpace(out)
		if err != nil {
			return err
		}
		return j.build(ctx, w, j.tmpFile(tmp))
	})
	if err != nil {
		return err
	}
	differs := !existed
	if existed {
		old, err := j.fingerprint(ctx, j.dest)
		if err != nil {
			return err
		}
		made, err := j.fingerprint(ctx, j.tmpFile(tmp))
		if err != nil {
			return err
		}
		differs = old != made
	}
	cleanup := "rm -rf -- " + shellquote.Quote(tmp)
	if !differs {
		return j.h.Act(func(w modules.Writer) error {
			_, err := modules.WriteScript(ctx, w, cleanup)
			return err
		})
	}
	d, n := shellquote.Quote(j.dest), shellquote.Quote(j.tmpFile(tmp))
	// An existing dest keeps its mode and owner, as Ansible's rewrite in
	// place does.
	script := fmt.Sprintf("if [ -e %[1]s ]; then chmod --reference=%[1]s %[2]s && { chown --reference=%[1]s %[2]s 2>/dev/null || :; }; fi && mv -f -- %[2]s %[1]s && %[3]s", d, n, cleanup)
	return j.h.Change(fmt.Sprintf("write %s", j.dest), func(w modules.Writer) error {
		_, err := modules.WriteScript(ctx, w, script)
		return err
	})
}

// tmpFile is where the new archive is built in tmp, with the format as its
// extension (zip adds .zip to a name without one).
func (j *archiveJob) tmpFile(tmp string) string { return tmp + "/new." + j.o.Format }

// compressors are the host's tools for each compressed format.
var compressors = map[string]string{"gz": "gzip", "bz2": "bzip2", "xz": "xz"}

// build writes the archive (or the compressed file) to out.
func (j *archiveJob) build(ctx context.Context, w modules.Writer, out string) error {
	if !j.must && compressors[j.o.Format] != "" {
		j.archived = []string{j.targets[0]}
		script := fmt.Sprintf("%s -c < %s > %s", compressors[j.o.Format], shellquote.Quote(j.targets[0]), shellquote.Quote(out))
		return j.runBuild(ctx, w, modules.Command{Shell: script})
	}
	var names []string
	for _, m := range j.members() {
		if !j.excluded(m) {
			names = append(names, m.name)
			if !(m.isDir && j.o.Format == "zip") { // zip's contains() misses a directory ("d/" is stored)
				j.archived = append(j.archived, m.path)
			}
		}
	}
	root := shellquote.Quote(j.root)
	if j.o.Format == "zip" {
		if len(names) == 0 { // zip refuses to make an empty archive; Python's zipfile makes this one
			return j.runBuild(ctx, w, modules.Command{Shell: `printf 'PK\005\006\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0' > ` + shellquote.Quote(out)})
		}
		script := fmt.Sprintf("cd %s && zip -q %s -@", root, shellquote.Quote(out))
		return j.runBuild(ctx, w, modules.Command{Shell: script, Stdin: strings.NewReader(strings.Join(names, "\n") + "\n")})
	}
	flag := map[string]string{"gz": "--gzip", "bz2": "--bzip2", "xz": "--xz", "tar": ""}[j.o.Format]
	script := fmt.Sprintf("cd %s && tar --create --no-recursion --null --verbatim-files-from %s -f %s -T -", root, flag, shellquote.Quote(out))
	return j.runBuild(ctx, w, modules.Command{Shell: script, Stdin: strings.NewReader(strings.Join(names, "\x00"))})
}

// runBuild runs a command that writes the archive, as the become user with
// the C locale; its failure is Ansible's "Error when writing" message.
func (j *archiveJob) runBuild(ctx context.Context, w modules.Writer, cmd modules.Command) error {
	cmd.Become, cmd.Env = j.h.Become, map[string]string{"LC_ALL": "C"}
	out, err := w.Run(ctx, cmd)
	if err != nil {
		return err
	}
	// GNU tar exits 1 for a file that changed while it was read: written.
	if out.RC > 1 || out.RC == 1 && j.o.Format == "zip" {
		return fmt.Errorf("Error when writing %s archive at %s: %s", j.formatName(), j.dest, modules.FirstLine(out.Stderr))
	}
	return nil
}

func (j *archiveJob) formatName() string {
	if j.o.Format == "zip" || j.o.Format == "tar" {
		return j.o.Format
	}
	return "tar." + j.o.Format
}

// member is one path the archive takes, with its name in the archive.
type member struct {
	path, name string
	isDir      bool
}

// members are the targets in Ansible's order: a file as it is, a directory
// by its tree (os.walk, top down: each directory's subdirectories, then its
// files, then the subdirectories' trees), without the directory itself.
func (j *archiveJob) members() []member {
	var out []member
	add := func(p string, isDir bool) {
		out = append(out, member{path: p, name: strings.TrimPrefix(strings.TrimPrefix(p, j.root), "/"), isDir: isDir})
	}
	for _, t := range j.targets {
		src := j.sources[t]
		if !src.isDir {
			add(t, false)
			continue
		}
		children := map[string][]entry{}
		for _, e := range src.entries {
			parent := e.path[:strings.LastIndex(e.path, "/")]
			children[parent] = append(children[parent], e)
		}
		var walk func(dir string)
		walk = func(dir string) {
			kids := children[dir]
			slices.SortFunc(kids, func(a, b entry) int { return strings.Compare(a.path, b.path) })
			for _, e := range kids {
				if e.following == 'd' {
					add(e.path, true)
				}
			}
			for _, e := range kids {
				if e.following != 'd' {
					add(e.path, false)
				}
			}
			for _, e := range kids {
				if e.following == 'd' && e.typ == 'd' {
					walk(e.path)
				}
			}
		}
		walk(strings.TrimSuffix(t, "/"))
	}
	return out
}

// excluded is Ansible's exclusion_patterns test: fnmatch on the member's
// name for tar, on its path for zip.
func (j *archiveJob) excluded(m member) bool {
	subject := m.name
	if j.o.Format == "zip" {
		subject = m.path
	}
	for _, p := range j.o.ExclusionPatterns {
		if fnmatch.Match(subject, p) {
			return true
		}
	}
	return false
}

// fingerprint is what Ansible compares of an archive before and after:
// a tar's members (here the verbose listing: name, type, mode, owner,
// size, time, link), a zip's names and CRCs, else the decompressed content.
func (j *archiveJob) fingerprint(ctx context.Context, file string) (string, error) {
	q := shellquote.Quote(file)
	probe := func(script string) (modules.Output, error) {
		return j.h.Query(ctx, modules.Command{Shell: script, Become: j.h.Become, Env: map[string]string{"LC_ALL": "C"}})
	}
	if j.o.Format == "zip" {
		out, err := probe("unzip -v -- " + q)
		if err != nil || out.RC != 0 {
			return "unreadable", err
		}
		var members []string
		for name, crc := range zipCRCs(out.Stdout) {
			members = append(members, crc+" "+name)
		}
		slices.Sort(members)
		return strings.Join(members, "\n"), nil
	}
	out, err := probe("tar --list --verbose --full-time -f " + q)
	if err != nil || out.RC == 0 {
		return "tar " + sortedLines(out.Stdout), err
	}
	if tool := compressors[j.o.Format]; tool != "" {
		// A file that does not decompress reads as another content.
		out, err := probe(fmt.Sprintf("{ %s -dc < %s || echo unreadable; } | cksum", tool, q))
		if err != nil || out.RC == 0 {
			return "content " + out.Stdout, err
		}
	}
	return "unreadable", nil
}

// zipCRCs reads unzip -v's table: each member's CRC-32 (hex) by name.
func zipCRCs(listing string) map[string]string {
	crcs := map[string]string{}
	rules := 0
	for _, line := range strings.Split(listing, "\n") {
		if strings.HasPrefix(line, "--------") {
			rules++
			continue
		}
		f := strings.Fields(line)
		if rules != 1 || len(f) < 8 {
			continue
		}
		crc := f[6]
		crcs[line[strings.Index(line, " "+crc+"  ")+len(crc)+3:]] = crc
	}
	return crcs
}

func sortedLines(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// removeScript deletes what was archived, then the source directories
// (Ansible's remove_targets; a compressed file's one source).
func (j *archiveJob) removeScript() string {
	var q []string
	for _, p := range j.archived {
		q = append(q, shellquote.Quote(p))
	}
	for _, p := range j.paths {
		if j.sources[p].isDir {
			q = append(q, shellquote.Quote(p))
		}
	}
	return "rm -rf -- " + strings.Join(q, " ")
}

// expandGlobs is Ansible's expand_paths: a path with * or ? is a glob,
// expanded on the host (names starting with a dot only by a pattern that
// says so, broken links included, as Python's glob); others are taken as
// they are. globby says whether there was a glob.
func expandGlobs(ctx context.Context, h *modules.Host, patterns []string) ([]string, bool, error) {
	var script strings.Builder
	globby := false
	for _, p := range patterns {
		if strings.ContainsAny(p, "*?") {
			globby = true
			fmt.Fprintf(&script, `for f in %s; do if [ -e "$f" ] || [ -L "$f" ]; then printf '%%s\0' "$f"; fi; done; `, globWord(p))
		}
		script.WriteString(`printf '\1\0'; `)
	}
	if !globby {
		return slices.Clone(patterns), false, nil
	}
	out, err := modules.RunScript(ctx, h, "LC_ALL=C; "+script.String())
	if err != nil {
		return nil, false, err
	}
	var expanded []string
	records := strings.Split(out, "\x00")
	i := 0
	for _, p := range patterns {
		if !strings.ContainsAny(p, "*?") {
			expanded = append(expanded, p)
			i++
			continue
		}
		for ; i < len(records) && records[i] != "\x01"; i++ {
			expanded = append(expanded, records[i])
		}
		i++
	}
	return expanded, true, nil
}

// globWord writes a glob as a shell word: the wildcards and sets bare,
// every other run of characters quoted.
func globWord(glob string) string {
	var b, lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			b.WriteString(shellquote.Quote(lit.String()))
			lit.Reset()
		}
	}
	for i := 0; i < len(glob); i++ {
		c := glob[i]
		end := strings.IndexByte(glob[i+1:], ']')
		switch {
		case c == '*' || c == '?':
			flush()
			b.WriteByte(c)
		case c == '[' && end > 0 && !strings.ContainsAny(glob[i:i+end+2], " '\"\\$`"):
			flush()
			b.WriteString(glob[i : i+end+2])
			i += end + 1
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return b.String()
}

// describeSources says, with one script, whether each path exists, is a
// directory (a link to one counts, as os.path.isdir), and lists a
// directory's tree (find -H: the path's own link followed, no other).
func describeSources(ctx context.Context, h *modules.Host, paths []string) (map[string]source, error) {
	var script strings.Builder
	for _, p := range paths {
		q := shellquote.Quote(p)
		fmt.Fprintf(&script, `e=0; d=0; { [ -e %[1]s ] || [ -L %[1]s ]; } && e=1; [ -d %[1]s ] && d=1; printf 'P%%s%%s\0' $e $d; `+
			`[ $d = 1 ] && { find -H %[1]s -mindepth 1 -printf 'E%%Y%%y%%p\0' 2>/dev/null || :; }; `, q)
	}
	script.WriteString("true")
	out, err := modules.RunScript(ctx, h, script.String())
	if err != nil {
		return nil, err
	}
	sources := map[string]source{}
	i := -1
	var cur source
	for _, rec := range strings.Split(out, "\x00") {
		switch {
		case strings.HasPrefix(rec, "P") && len(rec) == 3:
			if i >= 0 {
				sources[paths[i]] = cur
			}
			i++
			cur = source{exists: rec[1] == '1', isDir: rec[2] == '1'}
		case strings.HasPrefix(rec, "E") && len(rec) > 3:
			cur.entries = append(cur.entries, entry{path: rec[3:], following: rec[1], typ: rec[2]})
		}
	}
	if i != len(paths)-1 {
		return nil, fmt.Errorf("describing %s on %s: unexpected output", strings.Join(paths, ", "), modules.HostLabel(h))
	}
	sources[paths[i]] = cur
	return sources, nil
}

// commonPath is Ansible's common_path: the longest common prefix of the
// paths' directories (with a slash), cut back to a directory, with a slash.
func commonPath(paths []string) string {
	dirs := make([]string, len(paths))
	for i, p := range paths {
		dirs[i] = pyDirname(p) + "/"
		if pyDirname(p) == "/" || pyDirname(p) == "" {
			dirs[i] = pyDirname(p)
		}
	}
	prefix := dirs[0]
	for _, d := range dirs[1:] {
		n := 0
		for n < len(prefix) && n < len(d) && prefix[n] == d[n] {
			n++
		}
		prefix = prefix[:n]
	}
	dir := pyDirname(prefix)
	if dir == "" || strings.HasSuffix(dir, "/") {
		return dir
	}
	return dir + "/"
}

// pyDirname is Python's os.path.dirname: everything before the last slash,
// trailing slashes of that removed unless it is all slashes.
func pyDirname(p string) string {
	i := strings.LastIndex(p, "/") + 1
	head := p[:i]
	if trimmed := strings.TrimRight(head, "/"); trimmed != "" {
		return trimmed
	}
	return head
}

// archiveFail is Ansible's fail_json with a path: when the path (the
// paths joined, as Ansible gives it) names something, add_path_info
// describes it in the result.
func archiveFail(ctx context.Context, h *modules.Host, msg string, fields map[string]any) (modules.Result, error) {
	p := fields["path"].(string)
	info, err := modules.StatPath(ctx, h, p, false)
	if err != nil {
		return modules.Result{}, err
	}
	if info.Exists {
		maps.Copy(fields, pathInfoData(p, info))
	}
	fields["msg"] = msg
	return modules.Result{Failed: true, Msg: msg, Data: fields}, nil
}
