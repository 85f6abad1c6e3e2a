package textedit

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/ferry-sh/ferry/modules"
)

// iniFile sets, adds or removes options and sections of an INI file, as
// community.general's ini_file 6.6.9 (the version Ansible 7 ships with
// core 2.14): the edit below is its do_ini, step by step.
type iniFile struct{}

type iniFileOptions struct {
	Path          string   `opt:"path,required" aliases:"dest" doc:"The INI file; it is created (with its directories) when missing, unless create is false."`
	Section       string   `opt:"section" doc:"The section's name, without brackets. Left out: the option goes before the first section."`
	Option        string   `opt:"option" doc:"The option's name; left out, the task adds (or, with state absent, removes) the whole section."`
	Value         *string  `opt:"value" doc:"The option's value: the same as values with one item."`
	Values        []string `opt:"values" doc:"Several values of the option, one line each (option = a, option = b)."`
	State         string   `opt:"state" default:"present" choices:"absent,present" doc:"present: the option has the value(s); absent: the option (or its given values, with exclusive false) or the section is removed."`
	Exclusive     bool     `opt:"exclusive" default:"true" doc:"true: other lines of the option are replaced (present) or all of them removed (absent); false: only the given values are added or removed."`
	NoExtraSpaces bool     `opt:"no_extra_spaces" default:"false" doc:"Write option=value instead of option = value."`
	Create        bool     `opt:"create" default:"true" doc:"false: a missing file fails the task instead of being created."`
	AllowNoValue  bool     `opt:"allow_no_value" default:"false" doc:"Allow an option without a value and without =."`
	modules.BackupOption
	modules.FileAttrs
}

func (iniFile) Spec() modules.Spec {
	return modules.Spec{
		Name:       "ini_file",
		Summary:    "Set, add or remove options and sections of an INI file (community.general.ini_file)",
		Args:       modules.OptionsOf[iniFileOptions](),
		Exclusive:  [][]string{{"value", "values"}},
		Check:      modules.CheckSupported,
		Collection: "community.general",
	}
}

func init() { modules.Register(iniFile{}) }

// fakeSection is the section name do_ini puts above the file so that the
// lines before the first section are a section too (a commit hash, matching
// no real name).
const fakeSection = "ad01e11446efb704fcdbdb21f2c43757423d91c5"

// iniEdit is one ini_file task's intent.
type iniEdit struct {
	section, option                       string
	values                                []string // deduplicated
	absent, exclusive, spaces, allowEmpty bool
}

func iniEditFrom(o iniFileOptions) (iniEdit, *modules.Result) {
	e := iniEdit{section: o.Section, option: o.Option, absent: o.State == "absent",
		exclusive: o.Exclusive, spaces: !o.NoExtraSpaces, allowEmpty: o.AllowNoValue}
	values := o.Values
	if o.Value != nil {
		values = []string{*o.Value}
	}
	for _, v := range values {
		if !slices.Contains(e.values, v) {
			e.values = append(e.values, v)
		}
	}
	if !e.absent && !e.allowEmpty && o.Value == nil && len(e.values) == 0 {
		msg := "Parameter 'value(s)' must be defined if state=present and allow_no_value=False."
		return e, &modules.Result{Failed: true, Msg: msg, Data: map[string]any{"msg": msg}}
	}
	if e.option == "" && len(e.values) > 0 {
		// do_ini would match lines against no option name and crash.
		msg := "option is needed with value or values: name the option the values belong to"
		return e, &modules.Result{Failed: true, Msg: msg, Data: map[string]any{"msg": msg}}
	}
	return e, nil
}

func (iniFile) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[iniFileOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	e, bad := iniEditFrom(o)
	if bad != nil {
		return *bad, nil
	}
	path := o.Path
	f, bad, err := load(ctx, h, path)
	if bad != nil || err != nil {
		return derefResult(bad), err
	}
	if !f.info.Exists && !o.Create {
		return failure(257, fmt.Sprintf("Destination %s does not exist!", path)), nil
	}
	before := iniText(f.content)
	lines, changed, msg := e.apply(splitLines(before))
	var s saved
	if changed || f.info.Exists { // a file is created only for a change
		after := f.content // unchanged: not even its line ends are rewritten
		if changed {
			after = strings.Join(lines, "")
		}
		if s, err = save(ctx, h, f, after, modules.FileEditOptions{BackupOption: o.BackupOption, FileAttrs: o.FileAttrs}); err != nil {
			return modules.Result{}, err
		}
	}
	diff := map[string]any{"before": "", "after": "", "before_header": path + " (content)", "after_header": path + " (content)"}
	if h.Diff {
		diff["before"], diff["after"] = before, strings.Join(lines, "")
	}
	data, err := modules.PathFacts(ctx, h, path)
	if err != nil {
		return modules.Result{}, err
	}
	data["msg"], data["path"], data["diff"] = msg, path, diff
	if s.backup != "" {
		data["backup_file"] = s.backup
	}
	return modules.Result{Msg: msg, Data: data, Diffs: s.diffs}, nil
}

// iniText is the file as do_ini reads it: UTF-8 with its byte order mark
// dropped (utf-8-sig) and every line end made "\n" (Python's universal
// newlines).
func iniText(content string) string {
	content = strings.TrimPrefix(content, "\ufeff")
	return strings.ReplaceAll(strings.ReplaceAll(content, "\r\n", "\n"), "\r", "\n")
}

// apply is do_ini on the file's lines: the new lines, whether they changed,
// and Ansible's msg.
func (e iniEdit) apply(lines []string) ([]string, bool, string) {
	changed := false
	if len(lines) == 0 {
		lines = []string{"\n"}
	}
	if last := lines[len(lines)-1]; !strings.HasSuffix(last, "\n") {
		lines[len(lines)-1] += "\n"
		changed = true
	}
	lines = append(append([]string{"[" + fakeSection + "]"}, lines...), "[")
	section := e.section
	if section == "" {
		section = fakeSection
	}
	within, start, end := false, 0, 0
	for i, l := range lines {
		if strings.HasPrefix(l, "["+section+"]") {
			within, start = true, i
		} else if strings.HasPrefix(l, "[") && within {
			end = i
			break
		}
	}
	s := &iniSection{edit: e, lines: slices.Clone(lines[start:end]), msg: "OK", changed: changed,
		commented: optionPattern(e.option, true), active: optionPattern(e.option, false)}
	s.touched = make([]bool, len(s.lines))
	if e.absent {
		s.remove()
	} else {
		s.set()
	}
	lines = slices.Concat(lines[:start], s.lines, lines[end:])
	lines = lines[1 : len(lines)-1] // the fake first section and last "["
	if !within && !e.absent {
		lines = append(lines, "["+section+"]\n")
		s.msg, s.changed = "section and option added", true
		switch {
		case e.option != "" && len(e.values) > 0:
			for _, v := range e.values {
				lines = append(lines, e.assignment(v))
			}
		case e.option != "" && e.allowEmpty:
			lines = append(lines, e.option+"\n")
		default:
			s.msg = "only section added"
		}
	}
	return lines, s.changed, s.msg
}

// iniSection is the section being edited: its lines (the header first),
// which of them this task set, and do_ini's changed and msg so far.
type iniSection struct {
	edit       iniEdit
	lines      []string
	touched    []bool
	changed    bool
	msg        string
	emptyThere bool // an option without value is already there (option_no_value_present)
	// commented and active match the option's lines (optionPattern).
	commented, active *regexp.Regexp
}

func (e iniEdit) assignment(v string) string {
	if e.spaces {
		return e.option + " = " + v + "\n"
	}
	return e.option + "=" + v + "\n"
}

// update is update_section_line: line i becomes newline.
func (s *iniSection) update(i int, newline string) {
	if s.lines[i] != newline {
		s.changed, s.msg = true, "option changed"
	}
	s.lines[i], s.touched[i] = newline, true
}

// set is do_ini's state=present: lines of the option that already carry
// one of the values are rewritten in place; with exclusive, the other lines
// of the option take the remaining values or go; what is left is inserted
// after the section's last line that is neither blank nor a comment.
func (s *iniSection) set() {
	e := s.edit
	values := slices.Clone(e.values)
	if e.option != "" {
	lines:
		for i, l := range s.lines {
			m := s.commented.FindStringSubmatch(bare(l))
			switch {
			case m == nil:
			case len(values) > 0 && slices.Contains(values, m[6]):
				if m[6] == "" && e.allowEmpty {
					s.update(i, e.option+"\n")
					s.emptyThere = true
				} else {
					s.update(i, e.assignment(m[6]))
				}
				values = slices.Delete(values, slices.Index(values, m[6]), slices.Index(values, m[6])+1)
			case len(values) == 0 && e.allowEmpty:
				s.update(i, e.option+"\n")
				s.emptyThere = true
				break lines
			}
		}
	}
	if e.exclusive && !e.allowEmpty {
		values = s.replaceOthers(values)
	}
	s.insert(values)
}

// replaceOthers gives the remaining values to the option's other lines, in
// order, and removes the option's lines still left (exclusive).
func (s *iniSection) replaceOthers(values []string) []string {
	e := s.edit
	for i, l := range s.lines {
		if len(values) == 0 {
			break
		}
		if !s.touched[i] && s.commented.MatchString(bare(l)) {
			s.update(i, e.assignment(values[0]))
			values = values[1:]
		}
	}
	for i := len(s.lines) - 1; i > 0; i-- {
		if !s.touched[i] && s.commented.MatchString(bare(s.lines[i])) {
			s.lines = slices.Delete(s.lines, i, i+1)
			s.touched = slices.Delete(s.touched, i, i+1)
			s.changed, s.msg = true, "option changed"
		}
	}
	return values
}

// blankOrComment is do_ini's non_blank_non_comment_pattern (misnamed there:
// it matches the blank and comment lines).
var blankOrComment = regexp.MustCompile(`^[ \t]*([#;].*)?$`)

// insert puts the values not yet in the section after its last line that
// is neither blank nor a comment.
func (s *iniSection) insert(values []string) {
	e := s.edit
	for i := len(s.lines); i > 0; i-- {
		if blankOrComment.MatchString(bare(s.lines[i-1])) {
			continue
		}
		var add []string
		switch {
		case e.option != "" && len(values) > 0:
			for _, v := range values {
				add = append(add, e.assignment(v))
			}
		case e.option != "" && len(values) == 0 && e.allowEmpty && !s.emptyThere:
			add = []string{e.option + "\n"}
		}
		if len(add) > 0 {
			s.lines = slices.Insert(s.lines, i, add...)
			s.changed, s.msg = true, "option added"
		}
		return
	}
}

// remove is do_ini's state=absent: the option's active lines (exclusive),
// only those with one of the values (not exclusive), or without an option
// the whole section.
func (s *iniSection) remove() {
	e := s.edit
	if e.option == "" {
		if len(s.lines) > 0 {
			s.lines, s.changed, s.msg = nil, true, "section removed"
		}
		return
	}
	if !e.exclusive && len(e.values) == 0 {
		return
	}
	kept := slices.DeleteFunc(slices.Clone(s.lines), func(l string) bool {
		m := s.active.FindStringSubmatch(bare(l))
		return m != nil && (e.exclusive || slices.Contains(e.values, m[6]))
	})
	if !slices.Equal(kept, s.lines) {
		s.lines, s.changed, s.msg = kept, true, "option changed"
	}
}

// optionPattern is do_ini's match_opt (commented lines too) or, with
// commented false, match_active_opt: a line of the option, its value in
// group 6. It matches the line without its "\n" (Python's $ matches before
// it).
func optionPattern(option string, commented bool) *regexp.Regexp {
	prefix := "^"
	if commented {
		prefix = "^[#;]?"
	}
	return regexp.MustCompile(prefix + `( |\t)*(` + regexp.QuoteMeta(option) + `)( |\t)*(=|$)( |\t)*(.*)`)
}
