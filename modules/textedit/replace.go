package textedit

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/ferry-sh/ferry/internal/pyre"
	"github.com/ferry-sh/ferry/modules"
)

// replace substitutes every match of a regular expression in a file, as
// Ansible's replace.
type replace struct{}

type replaceOptions struct {
	Path     string `opt:"path,required" aliases:"dest,destfile,name" doc:"The file to edit; it must exist. A symbolic link is followed."`
	Regexp   string `opt:"regexp,required" doc:"A Python-style regular expression, matched in multiline mode (^ and $ at every line). RE2 syntax: no look-arounds or backreferences in the pattern."`
	Replace  string `opt:"replace" default:"" doc:"What each match becomes; \\1 and \\g<name> insert regexp's groups. Empty removes the matches."`
	After    string `opt:"after" doc:"Replace only after the first match of this regular expression."`
	Before   string `opt:"before" doc:"Replace only before the first match of this regular expression."`
	Encoding string `opt:"encoding" default:"utf-8" choices:"utf-8,utf8" doc:"The file's encoding; ferry reads UTF-8 only."`
	modules.FileEditOptions
}

func (replaceOptions) OptionChecks() map[string]func(any) error {
	return map[string]func(any) error{
		"regexp": checkPattern("regexp", false),
		"after":  checkPattern("after", false),
		"before": checkPattern("before", false),
	}
}

func (replace) Spec() modules.Spec {
	return modules.Spec{
		Name:    "replace",
		Returns: []string{"rc", "msg", "changed"}, // the order of Ansible's result
		Summary: "Replace every match of a regular expression in a text file",
		Args:    modules.OptionsOf[replaceOptions](),
		Check:   modules.CheckSupported,
	}
}

func (replace) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[replaceOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	f, bad, err := load(ctx, h, o.Path)
	if bad != nil || err != nil {
		return derefResult(bad), err
	}
	if !f.info.Exists {
		return failure(257, fmt.Sprintf("Path %s does not exist !", f.path)), nil
	}
	if !utf8.ValidString(f.content) {
		return modules.Result{}, fmt.Errorf("%s is not UTF-8 text; ferry's replace reads UTF-8 only", f.path)
	}
	start, end, pattern, err := section(f.content, o.After, o.Before)
	if err != nil {
		return modules.Result{}, err
	}
	if start < 0 {
		msg := "Pattern for before/after params did not match the given file: " + pattern
		return modules.Result{Msg: msg, Data: map[string]any{"rc": 0, "msg": msg}}, nil
	}
	re, _ := pyre.Compile("(?m)" + o.Regexp) // checked by the spec
	replaced, n := substitute(re, f.content[start:end], o.Replace)
	after := f.content[:start] + replaced + f.content[end:]
	msg := ""
	if n > 0 && after != f.content {
		msg = fmt.Sprintf("%d replacements made", n)
	}
	s, err := save(ctx, h, f, after, o.FileEditOptions)
	if err != nil {
		return modules.Result{}, err
	}
	msg = withAttrs(msg, s.attrs)
	data := map[string]any{"rc": 0, "msg": msg}
	if s.backup != "" {
		data["backup_file"] = s.backup
	}
	return modules.Result{Msg: msg, Data: data, Diffs: s.diffs}, nil
}

// section is the part of content between after and before (Ansible builds
// one pattern of them, in dotall mode); start is -1 when it does not match.
func section(content, after, before string) (start, end int, pattern string, err error) {
	switch {
	case after != "" && before != "":
		pattern = after + "(?P<subsection>.*?)" + before
	case after != "":
		pattern = after + "(?P<subsection>.*)"
	case before != "":
		pattern = "(?P<subsection>.*)" + before
	default:
		return 0, len(content), "", nil
	}
	re, err := pyre.Compile("(?s)" + pattern)
	if err != nil {
		return 0, 0, pattern, fmt.Errorf("after/before make the pattern %q, which is not a regular expression ferry can run: %v", pattern, err)
	}
	m := re.FindStringSubmatchIndex(content)
	if m == nil {
		return -1, -1, pattern, nil
	}
	g := re.SubexpIndex("subsection")
	return m[2*g], m[2*g+1], pattern, nil
}

// substitute is Python's re.subn: every match replaced, with its groups
// expanded in repl, and the number of matches.
func substitute(re *regexp.Regexp, s, repl string) (string, int) {
	tmpl := pyre.Replacement(repl)
	var b strings.Builder
	last, n := 0, 0
	for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
		b.WriteString(s[last:m[0]])
		b.Write(re.ExpandString(nil, tmpl, s, m))
		last = m[1]
		n++
	}
	b.WriteString(s[last:])
	return b.String(), n
}
