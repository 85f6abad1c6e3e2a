package textedit

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/ferry-sh/ferry/internal/pyre"
	"github.com/ferry-sh/ferry/modules"
)

// lineinfile makes sure one line is in a file (or is not), as Ansible's.
type lineinfile struct{}

type lineinfileOptions struct {
	Path         string  `opt:"path,required" aliases:"dest,destfile,name" doc:"The file to edit. A symbolic link is followed: the file it points to is edited."`
	State        string  `opt:"state" default:"present" choices:"absent,present" doc:"present: the line is in the file; absent: every matching line is removed."`
	Regexp       *string `opt:"regexp" aliases:"regex" doc:"A Python-style regular expression searched in every line: with present the last matching line is replaced (the first with firstmatch), with absent all matching lines go. RE2 syntax: no look-arounds or backreferences in the pattern."`
	SearchString *string `opt:"search_string" doc:"A literal string instead of regexp."`
	Line         *string `opt:"line" aliases:"value" doc:"The line to put in the file (needed with state present). With backrefs, \\1 and \\g<name> refer to regexp's groups."`
	InsertAfter  string  `opt:"insertafter" doc:"When no line matches: insert after the last line matching this regular expression (the first with firstmatch), or EOF (the default) or BOF."`
	InsertBefore string  `opt:"insertbefore" doc:"When no line matches: insert before the last line matching this regular expression, or BOF."`
	Backrefs     bool    `opt:"backrefs" default:"false" doc:"Expand regexp's groups in line; when regexp matches no line the file is left alone."`
	Create       bool    `opt:"create" default:"false" doc:"Create the file (and its directories) when it does not exist; otherwise a missing file fails the task."`
	Firstmatch   bool    `opt:"firstmatch" default:"false" doc:"Use the first line that matches regexp or insertafter/insertbefore instead of the last."`
	modules.FileEditOptions
}

func (lineinfileOptions) OptionChecks() map[string]func(any) error {
	return map[string]func(any) error{
		"regexp":       checkPattern("regexp", false),
		"insertafter":  checkPattern("insertafter", true),
		"insertbefore": checkPattern("insertbefore", true),
	}
}

func (lineinfile) Spec() modules.Spec {
	return modules.Spec{
		Name:      "lineinfile",
		Returns:   []string{"changed", "msg", "backup", "diff"}, // the order of Ansible's result
		Summary:   "Make sure a line is present in a text file, or absent from it",
		Args:      modules.OptionsOf[lineinfileOptions](),
		Exclusive: [][]string{{"insertbefore", "insertafter"}, {"regexp", "search_string"}, {"backrefs", "search_string"}},
		Check:     modules.CheckSupported,
	}
}

// checkPattern refuses a pattern Go's regexp cannot run (look-arounds,
// backreferences), naming the argument; BOF and EOF pass where allowed.
func checkPattern(name string, marks bool) func(v any) error {
	return func(v any) error {
		s := fmt.Sprint(v)
		if marks && (s == "BOF" || s == "EOF") {
			return nil
		}
		if _, err := pyre.Compile(s); err != nil {
			return fmt.Errorf("%s %q is not a regular expression ferry can run (%v); RE2 has no look-arounds or backreferences: rewrite it without them", name, s, err)
		}
		return nil
	}
}

func (lineinfile) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	opts, err := modules.Decode[lineinfileOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	o, bad := lineOptionsFrom(opts)
	if bad != nil {
		return *bad, nil
	}
	f, bad, err := load(ctx, h, opts.Path)
	if bad != nil || err != nil {
		return derefResult(bad), err
	}
	if !f.info.Exists && (o.absent || !opts.Create) {
		if o.absent {
			return modules.Result{Data: map[string]any{"msg": "file not present"}, Msg: "file not present"}, nil
		}
		return failure(257, fmt.Sprintf("Destination %s does not exist !", f.path)), nil
	}
	lines := splitLines(f.content)
	var msg string
	found := 0
	if o.absent {
		lines, found = o.remove(lines)
		if found > 0 {
			msg = fmt.Sprintf("%d line(s) removed", found)
		}
	} else {
		lines, msg = o.present(lines)
	}
	s, err := save(ctx, h, f, strings.Join(lines, ""), opts.FileEditOptions)
	if err != nil {
		return modules.Result{}, err
	}
	if f.info.Exists || !h.Pending() { // Ansible checks attributes unless a dry run creates the file
		msg = withAttrs(msg, s.attrs)
	}
	data := map[string]any{"msg": msg, "backup": s.backup, "diff": editDiff(h, f, strings.Join(lines, ""), opts.FileAttrs)}
	if o.absent {
		data["found"] = found
	}
	return modules.Result{Msg: msg, Data: data, Diffs: s.diffs}, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefResult(r *modules.Result) modules.Result {
	if r == nil {
		return modules.Result{}
	}
	return *r
}

// lineOptions are lineinfile's options, checked together as Ansible does,
// with the patterns compiled.
type lineOptions struct {
	absent       bool
	re           *regexp.Regexp // nil: no regexp
	search       *string        // nil: no search_string
	line         string
	insertAfter  string
	insertBefore string
	ins          *regexp.Regexp // insertafter/insertbefore as a pattern
	backrefs     bool
	firstmatch   bool
}

func lineOptionsFrom(opts lineinfileOptions) (lineOptions, *modules.Result) {
	o := lineOptions{absent: opts.State == "absent", line: deref(opts.Line),
		insertAfter: opts.InsertAfter, insertBefore: opts.InsertBefore,
		backrefs: opts.Backrefs, firstmatch: opts.Firstmatch, search: opts.SearchString}
	fail := func(msg string) (lineOptions, *modules.Result) {
		r := modules.Result{Failed: true, Msg: msg, Data: map[string]any{"msg": msg}}
		return o, &r
	}
	if opts.Regexp != nil {
		o.re, _ = pyre.Compile(*opts.Regexp) // checked by the spec
	}
	if o.absent {
		if o.re == nil && o.search == nil && opts.Line == nil {
			return fail("one of line, search_string, or regexp is required with state=absent")
		}
		return o, nil
	}
	if o.backrefs && o.re == nil {
		return fail("regexp is required with backrefs=true")
	}
	if opts.Line == nil {
		return fail("line is required with state=present")
	}
	if o.insertAfter == "" && o.insertBefore == "" {
		o.insertAfter = "EOF"
	}
	switch {
	case o.insertAfter != "" && o.insertAfter != "BOF" && o.insertAfter != "EOF":
		o.ins, _ = pyre.Compile(o.insertAfter)
	case o.insertBefore != "" && o.insertBefore != "BOF":
		o.ins, _ = pyre.Compile(o.insertBefore)
	}
	return o, nil
}

// bare is a line without its "\n": Python's $ matches before a final
// newline, Go's only at the very end, so patterns search the bare line.
func bare(l string) string { return strings.TrimSuffix(l, "\n") }

func stripEOL(l string) string { return strings.TrimRight(l, "\r\n") }

// present is Ansible's present(): replace the matching line, or insert the
// line where insertafter/insertbefore say, unless it is there already.
func (o lineOptions) present(lines []string) ([]string, string) {
	matchAt, insertAt := -1, -1
	var match []int // regexp's submatches in lines[matchAt]
	matched := false
	for i, l := range lines {
		if o.re != nil {
			if m := o.re.FindStringSubmatchIndex(bare(l)); m != nil {
				matchAt, match, matched = i, m, true
				if o.firstmatch {
					break
				}
			}
		}
		if o.search != nil && strings.Contains(l, *o.search) {
			matchAt, matched = i, true
			if o.firstmatch {
				break
			}
		}
	}
	if !matched {
		for i, l := range lines {
			if o.line == stripEOL(l) {
				matchAt = i
			} else if o.ins != nil && o.ins.MatchString(bare(l)) {
				if o.insertAfter != "" {
					insertAt = i + 1
				} else {
					insertAt = i
				}
				if o.firstmatch {
					break
				}
			}
		}
	}
	add := o.line + "\n"
	switch {
	case matchAt != -1:
		newLine := o.line
		if o.backrefs && match != nil {
			newLine = string(o.re.ExpandString(nil, pyre.Replacement(o.line), bare(lines[matchAt]), match))
		}
		if !strings.HasSuffix(newLine, "\n") {
			newLine += "\n"
		}
		if lines[matchAt] == newLine {
			return lines, ""
		}
		lines[matchAt] = newLine
		return lines, "line replaced"
	case o.backrefs:
		return lines, ""
	case o.insertBefore == "BOF" || o.insertAfter == "BOF":
		return append([]string{add}, lines...), "line added"
	case o.insertAfter == "EOF" || insertAt == -1:
		if n := len(lines); n > 0 && !strings.HasSuffix(lines[n-1], "\n") && !strings.HasSuffix(lines[n-1], "\r") {
			lines = append(lines, "\n")
		}
		return append(lines, add), "line added"
	case o.insertAfter != "" && insertAt == len(lines):
		if stripEOL(lines[insertAt-1]) == o.line {
			return lines, ""
		}
		return append(lines, add), "line added"
	case o.insertAfter != "" && stripEOL(lines[insertAt]) == o.line:
		return lines, ""
	}
	return insertLine(lines, insertAt, add), "line added"
}

func insertLine(lines []string, at int, l string) []string {
	out := append([]string{}, lines[:at]...)
	out = append(out, l)
	return append(out, lines[at:]...)
}

// remove is Ansible's absent(): drop every line that matches.
func (o lineOptions) remove(lines []string) ([]string, int) {
	var kept []string
	found := 0
	for _, l := range lines {
		var hit bool
		switch {
		case o.re != nil:
			hit = o.re.MatchString(bare(l))
		case o.search != nil:
			hit = strings.Contains(l, *o.search)
		default:
			hit = o.line == stripEOL(l)
		}
		if hit {
			found++
		} else {
			kept = append(kept, l)
		}
	}
	return kept, found
}
