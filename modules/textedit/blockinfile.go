package textedit

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/ferry-sh/ferry/internal/pyre"
	"github.com/ferry-sh/ferry/modules"
)

// blockinfile keeps a block of lines between two marker lines, as Ansible's.
type blockinfile struct{}

type blockinfileOptions struct {
	Path         string `opt:"path,required" aliases:"dest,destfile,name" doc:"The file to edit. A symbolic link is followed."`
	State        string `opt:"state" default:"present" choices:"absent,present" doc:"present: the block is in the file; absent: the block and its markers are removed."`
	Marker       string `opt:"marker" default:"# {mark} ANSIBLE MANAGED BLOCK" doc:"The marker line template; {mark} becomes marker_begin or marker_end. Give each block of a file its own marker."`
	Block        string `opt:"block" default:"" aliases:"content" doc:"The lines between the markers; an empty block removes the block."`
	InsertAfter  string `opt:"insertafter" doc:"Where a new block goes: after the last line matching this regular expression, or EOF (the default)."`
	InsertBefore string `opt:"insertbefore" doc:"Where a new block goes: before the last line matching this regular expression, or BOF."`
	Create       bool   `opt:"create" default:"false" doc:"Create the file (and its directories) when it does not exist."`
	MarkerBegin  string `opt:"marker_begin" default:"BEGIN" doc:"What {mark} becomes in the first marker."`
	MarkerEnd    string `opt:"marker_end" default:"END" doc:"What {mark} becomes in the last marker."`
	modules.FileEditOptions
}

func (blockinfileOptions) OptionChecks() map[string]func(any) error {
	return map[string]func(any) error{
		"insertafter":  checkPattern("insertafter", true),
		"insertbefore": checkPattern("insertbefore", true),
	}
}

func (blockinfile) Spec() modules.Spec {
	return modules.Spec{
		Name:      "blockinfile",
		Returns:   []string{"changed", "msg", "diff"}, // the order of Ansible's result
		Summary:   "Insert, update or remove a block of lines between marker lines in a text file",
		Args:      modules.OptionsOf[blockinfileOptions](),
		Exclusive: [][]string{{"insertbefore", "insertafter"}},
		Check:     modules.CheckSupported,
	}
}

func (blockinfile) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	opts, err := modules.Decode[blockinfileOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	f, bad, err := load(ctx, h, opts.Path)
	if bad != nil || err != nil {
		return derefResult(bad), err
	}
	present := opts.State == "present"
	if !f.info.Exists {
		if !opts.Create {
			return failure(257, fmt.Sprintf("Path %s does not exist !", f.path)), nil
		}
		if !present {
			msg := fmt.Sprintf("File %s not present", f.path)
			return modules.Result{Msg: msg, Data: map[string]any{"msg": msg}}, nil
		}
	}
	o := blockOptionsFrom(opts, present)
	after := placeBlock(f.content, o)
	var msg string
	switch {
	case f.info.Exists && after == f.content:
	case !f.info.Exists:
		msg = "File created"
	case len(o.lines) == 0:
		msg = "Block removed"
	default:
		msg = "Block inserted"
	}
	s, err := save(ctx, h, f, after, opts.FileEditOptions)
	if err != nil {
		return modules.Result{}, err
	}
	if f.info.Exists || !h.Pending() { // Ansible checks attributes unless a dry run creates the file
		msg = withAttrs(msg, s.attrs)
	}
	data := map[string]any{"msg": msg, "diff": editDiff(h, f, after, opts.FileAttrs)}
	if s.backup != "" {
		data["backup_file"] = s.backup
	}
	return modules.Result{Msg: msg, Data: data, Diffs: s.diffs}, nil
}

// blockOptions are what placeBlock needs.
type blockOptions struct {
	begin, end   string   // the marker lines, with "\n"
	lines        []string // the block with its markers; none to remove it
	insertAfter  string
	insertBefore string
	ins          *regexp.Regexp
	insMultiline bool // the pattern sets (?m): it searches the whole file
}

func blockOptionsFrom(opts blockinfileOptions, present bool) blockOptions {
	o := blockOptions{
		begin:       strings.ReplaceAll(opts.Marker, "{mark}", opts.MarkerBegin) + "\n",
		end:         strings.ReplaceAll(opts.Marker, "{mark}", opts.MarkerEnd) + "\n",
		insertAfter: opts.InsertAfter, insertBefore: opts.InsertBefore,
	}
	if block := opts.Block; present && block != "" {
		if !strings.HasSuffix(block, "\n") {
			block += "\n"
		}
		o.lines = append(append([]string{o.begin}, pySplitLines(block)...), o.end)
	}
	if o.insertAfter == "" && o.insertBefore == "" {
		o.insertAfter = "EOF"
	}
	pattern := ""
	switch {
	case o.insertAfter != "" && o.insertAfter != "EOF":
		pattern = o.insertAfter
	case o.insertBefore != "" && o.insertBefore != "BOF":
		pattern = o.insertBefore
	}
	if pattern != "" {
		o.ins, _ = pyre.Compile(pattern) // checked by the spec
		o.insMultiline = strings.HasPrefix(pattern, "(?m")
	}
	return o
}

// placeBlock is Ansible's blockinfile main(): the existing block (both
// markers found) is cut out and the new one put in its place; without one
// the block goes after/before the last line insertafter/insertbefore
// matches, or at the end (start).
func placeBlock(content string, o blockOptions) string {
	lines := pySplitLines(content)
	n0, n1 := -1, -1
	for i, l := range lines {
		if l == o.begin {
			n0 = i
		}
		if l == o.end {
			n1 = i
		}
	}
	switch {
	case n0 == -1 || n1 == -1:
		n0 = o.insertIndex(content, lines)
	case n0 < n1:
		lines = append(lines[:n0:n0], lines[n1+1:]...)
	default:
		lines = append(lines[:n1:n1], lines[n0+1:]...)
		n0 = n1
	}
	if n0 > 0 && !strings.HasSuffix(lines[n0-1], "\n") {
		lines[n0-1] += "\n"
	}
	out := append(append(append([]string{}, lines[:n0]...), o.lines...), lines[n0:]...)
	return strings.Join(out, "")
}

func (o blockOptions) insertIndex(content string, lines []string) int {
	switch {
	case o.ins == nil && o.insertBefore != "":
		return 0 // BOF
	case o.ins == nil:
		return len(lines)
	}
	n := -1
	if o.insMultiline {
		if m := o.ins.FindStringIndex(content); m != nil {
			if o.insertAfter != "" {
				n = strings.Count(content[:m[1]], "\n")
			} else {
				n = strings.Count(content[:m[0]], "\n")
			}
		}
	} else {
		for i, l := range lines {
			if o.ins.MatchString(bare(l)) {
				n = i
			}
		}
	}
	switch {
	case n == -1:
		return len(lines)
	case o.insertAfter != "":
		return n + 1
	}
	return n
}

// pySplitLines is Python's bytes.splitlines(True): lines end at "\n",
// "\r\n" or "\r", each kept.
func pySplitLines(s string) []string {
	var out []string
	for len(s) > 0 {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			return append(out, s)
		}
		end := i + 1
		if s[i] == '\r' && end < len(s) && s[end] == '\n' {
			end++
		}
		out = append(out, s[:end])
		s = s[end:]
	}
	return out
}
