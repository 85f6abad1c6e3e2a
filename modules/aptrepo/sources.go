package aptrepo

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
)

// The model of apt's one-line sources files that ansible-core 2.14's
// apt_repository.py keeps (its SourcesList): every line of sources.list and
// of sources.list.d/*.list, parsed; an added source, a removed one; and the
// files' text as the module writes them back. A file is rewritten whole, so
// that a disabled line "#deb ..." comes back as "# deb ...", as it does in
// Ansible.

// validSourceTypes are the first words of a source line (VALID_SOURCE_TYPES).
var validSourceTypes = []string{"deb", "deb-src"}

// sourceLine is one line of a sources file: n is the line's index when it
// was read (or appended), which apt_repository.py keeps with it.
type sourceLine struct {
	n       int
	valid   bool // a deb or deb-src line
	enabled bool // not commented out
	source  string
	comment string
}

// sourcesFile is one file's lines.
type sourcesFile struct {
	path  string
	lines []sourceLine
}

// sourcesList is every sources file, in the order they were read.
type sourcesList struct {
	defaultFile string // Dir::Etc::sourcelist
	partsDir    string // Dir::Etc::sourceparts
	files       []*sourcesFile
	// newRepos are the files a source was appended to: the ones that get
	// the task's mode.
	newRepos map[string]bool
}

// errInvalidSource is apt_repository.py's InvalidSource: a line that is not
// an enabled deb or deb-src line; its text is the line as the module saw it.
type errInvalidSource string

func (e errInvalidSource) Error() string { return "Invalid repository string: " + string(e) }

// parseSource is SourcesList._parse.
func parseSource(line string) sourceLine {
	l := sourceLine{enabled: true}
	line = strings.TrimSpace(line)
	if strings.HasPrefix(line, "#") {
		l.enabled = false
		line = line[1:]
	}
	if i := strings.Index(line, "#"); i > 0 {
		l.comment = strings.TrimSpace(line[i+1:])
		line = line[:i]
	}
	l.source = strings.TrimSpace(line)
	if chunks := strings.Fields(l.source); len(chunks) > 0 && slices.Contains(validSourceTypes, chunks[0]) {
		l.valid = true
		l.source = strings.Join(chunks, " ")
	}
	return l
}

// parseValidSource is _parse with raise_if_invalid_or_disabled: the source
// of an enabled deb line, or errInvalidSource with the line as Ansible's
// message quotes it (the leading # and the comment cut, not stripped).
func parseValidSource(line string) (string, error) {
	l := parseSource(line)
	if !l.valid || !l.enabled {
		quoted := strings.TrimSpace(line)
		quoted = strings.TrimPrefix(quoted, "#")
		if i := strings.Index(quoted, "#"); i > 0 {
			quoted = quoted[:i]
		}
		return "", errInvalidSource(quoted)
	}
	return l.source, nil
}

// load adds a file's text, as SourcesList.load reads it line by line.
func (s *sourcesList) load(path, text string) {
	f := &sourcesFile{path: path}
	if text != "" {
		text = strings.ReplaceAll(text, "\r\n", "\n") // Python's universal newlines
		for n, line := range strings.SplitAfter(strings.TrimSuffix(text, "\n"), "\n") {
			l := parseSource(line)
			l.n = n
			f.lines = append(f.lines, l)
		}
	}
	s.files = append(s.files, f)
}

func (s *sourcesList) file(path string) *sourcesFile {
	for _, f := range s.files {
		if f.path == path {
			return f
		}
	}
	return nil
}

// clone is a deep copy: the list before the task's change.
func (s *sourcesList) clone() *sourcesList {
	c := &sourcesList{defaultFile: s.defaultFile, partsDir: s.partsDir, newRepos: map[string]bool{}}
	for _, f := range s.files {
		c.files = append(c.files, &sourcesFile{path: f.path, lines: slices.Clone(f.lines)})
	}
	return c
}

// text is a file's content as SourcesList.save and dump write it.
func (f *sourcesFile) text() string {
	var b strings.Builder
	for _, l := range f.lines {
		if !l.enabled {
			b.WriteString("# ")
		}
		b.WriteString(l.source)
		if l.comment != "" {
			b.WriteString(" # " + l.comment)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// dump maps each file that has lines to its text (SourcesList.dump).
func (s *sourcesList) dump() map[string]string {
	out := map[string]string{}
	for _, f := range s.files {
		if len(f.lines) > 0 {
			out[f.path] = f.text()
		}
	}
	return out
}

// add is _add_valid_source: every line with the same source, disabled or
// not, is enabled; with none, the source is appended to file.
func (s *sourcesList) add(source, file string) {
	found := false
	for _, f := range s.files {
		for i, l := range f.lines {
			if l.valid && l.source == source {
				f.lines[i].enabled = true
				found = true
			}
		}
	}
	if found {
		return
	}
	file = s.expandPath(file)
	f := s.file(file)
	if f == nil {
		f = &sourcesFile{path: file}
		s.files = append(s.files, f)
	}
	f.lines = append(f.lines, sourceLine{n: len(f.lines), valid: true, enabled: true, source: source})
	s.newRepos[file] = true
}

// remove is _remove_valid_source, quirks included: it pops each enabled
// match by the index it was read at while walking the shrinking list, as
// Python's list iterator does, so a second match in one file can take the
// wrong line, as in Ansible.
func (s *sourcesList) remove(source string) error {
	for _, f := range s.files {
		for i := 0; i < len(f.lines); i++ {
			l := f.lines[i]
			if !l.valid || !l.enabled || l.source != source {
				continue
			}
			if l.n >= len(f.lines) {
				return fmt.Errorf("%s: cannot remove a second copy of %q in one pass (as apt_repository.py fails there): remove the duplicate lines by hand", f.path, source)
			}
			f.lines = slices.Delete(f.lines, l.n, l.n+1)
		}
	}
	return nil
}

// expandPath is _expand_path: a name without / goes into sources.list.d.
func (s *sourcesList) expandPath(name string) string {
	if strings.Contains(name, "/") {
		return name
	}
	return path.Join(s.partsDir, name)
}

var (
	sourceOptions = regexp.MustCompile(`\[[^\]]+\]`)
	uriScheme     = regexp.MustCompile(`\w+://`)
	nonAlnum      = regexp.MustCompile(`[^a-zA-Z0-9]`)
)

// errNoURI is a deb line without a URI, on which apt_repository.py's
// _suggest_filename fails with an IndexError.
var errNoURI = errors.New("the repository line has no URI after its type: write it as `deb URI SUITE [COMPONENT...]`")

// suggestFilename is _suggest_filename: the file named by the task, else
// the URI's host and path without scheme, options and credentials, each run
// of other characters an underscore.
func suggestFilename(line string, filename *string) (string, error) {
	line = sourceOptions.ReplaceAllString(line, "")
	line = uriScheme.ReplaceAllString(line, "")
	var parts []string
	for _, p := range strings.Fields(line) {
		if !slices.Contains(validSourceTypes, p) {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return "", errNoURI
	}
	if filename != nil {
		return *filename + ".list", nil
	}
	first := parts[0]
	if _, after, ok := strings.Cut(first, "@"); ok {
		first = after
	}
	return strings.Join(strings.Fields(nonAlnum.ReplaceAllString(first, " ")), "_") + ".list", nil
}
