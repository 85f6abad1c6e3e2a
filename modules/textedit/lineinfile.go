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

func (lineinfile) Spec() modules.Spec {
	return modules.Spec{
		Name:    "lineinfile",
		Summary: "Make sure a line is present in a text file, or absent from it",
		Args: append([]modules.Arg{
			pathArg("The file to edit. A symbolic link is followed: the file it points to is edited."),
			{Name: "state", Type: modules.String, Default: "present", Choices: []string{"absent", "present"}, Doc: "present: the line is in the file; absent: every matching line is removed."},
			{Name: "regexp", Type: modules.String, Aliases: []string{"regex"}, Check: checkPattern("regexp", false), Doc: "A Python-style regular expression searched in every line: with present the last matching line is replaced (the first with firstmatch), with absent all matching lines go. RE2 syntax: no look-arounds or backreferences in the pattern."},
			{Name: "search_string", Type: modules.String, Doc: "A literal string instead of regexp."},
			{Name: "line", Type: modules.String, Aliases: []string{"value"}, Doc: "The line to put in the file (needed with state present). With backrefs, \\1 and \\g<name> refer to regexp's groups."},
			{Name: "insertafter", Type: modules.String, Check: checkPattern("insertafter", true), Doc: "When no line matches: insert after the last line matching this regular expression (the first with firstmatch), or EOF (the default) or BOF."},
			{Name: "insertbefore", Type: modules.String, Check: checkPattern("insertbefore", true), Doc: "When no line matches: insert before the last line matching this regular expression, or BOF."},
			{Name: "backrefs", Type: modules.Bool, Default: false, Doc: "Expand regexp's groups in line; when regexp matches no line the file is left alone."},
			{Name: "create", Type: modules.Bool, Default: false, Doc: "Create the file (and its directories) when it does not exist; otherwise a missing file fails the task."},
			{Name: "firstmatch", Type: modules.Bool, Default: false, Doc: "Use the first line that matches regexp or insertafter/insertbefore instead of the last."},
		}, editArgs()...),
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
	o, bad := lineOptionsFrom(args)
	if bad != nil {
		return *bad, nil
	}
	f, bad, err := load(ctx, h, args.String("path"))
	if bad != nil || err != nil {
		return derefResult(bad), err
	}
	if !f.info.Exists && (o.absent || !args.Bool("create")) {
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
	s, err := save(ctx, h, f, strings.Join(lines, ""), args)
	if err != nil {
		return modules.Result{}, err
	}
	if f.info.Exists || !h.Check { // Ansible checks attributes unless a dry run creates the file
		msg = withAttrs(msg, s.attrs)
	}
	data := map[string]any{"msg": msg, "backup": s.backup}
	if o.absent {
		data["found"] = found
	}
	return modules.Result{Msg: msg, Data: data, Diffs: s.diffs}, nil
}

func derefResult(r *modules.Result) modules.Result {
	if r == nil {
		return modules.Result{}
	}
	return *r
}

// lineOptions are lineinfile's arguments, checked together as Ansible does.
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

func lineOptionsFrom(args modules.Args) (lineOptions, *modules.Result) {
	o := lineOptions{absent: args.String("state") == "absent", line: args.String("line"),
		insertAfter: args.String("insertafter"), insertBefore: args.String("insertbefore"),
		backrefs: args.Bool("backrefs"), firstmatch: args.Bool("firstmatch")}
	fail := func(msg string) (lineOptions, *modules.Result) {
		r := modules.Result{Failed: true, Msg: msg, Data: map[string]any{"msg": msg}}
		return o, &r
	}
	if args.Has("regexp") {
		o.re, _ = pyre.Compile(args.String("regexp")) // checked by the spec
	}
	if args.Has("search_string") {
		s := args.String("search_string")
		o.search = &s
	}
	if o.absent {
		if o.re == nil && o.search == nil && !args.Has("line") {
			return fail("one of line, search_string, or regexp is required with state=absent")
		}
		return o, nil
	}
	if o.backrefs && o.re == nil {
		return fail("regexp is required with backrefs=true")
	}
	if !args.Has("line") {
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
