// Package textedit holds the modules that edit a text file in place:
// lineinfile, blockinfile, replace and ini_file. They share one
// read-modify-write path (edit.go): read the file with a probe, compute the
// new content in Go, and hand it to the framework's safe write, which
// backs up, validates, sets mode and owner, and gives --diff its before and
// after. The computation follows Ansible 2.14's modules line by line, so
// that the same playbook leaves the same bytes.
package textedit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ferry-sh/ferry/internal/shellquote"
	"github.com/ferry-sh/ferry/modules"
)

func init() {
	modules.Register(lineinfile{})
	modules.Register(blockinfile{})
	modules.Register(replace{})
}

// maxFile is the largest file these modules edit: it is held in memory.
const maxFile = 64 << 20

// attrsMsg is what Ansible's check_file_attrs adds when only mode or owner
// change.
const attrsMsg = "ownership, perms or SE linux context changed"

// textFile is a file as read before the edit.
type textFile struct {
	path    string
	info    modules.PathInfo // of the file a link leads to
	content string           // "" when the file does not exist
}

// failure is a failed result with Ansible's rc and msg.
func failure(rc int, msg string) modules.Result {
	return modules.Result{Failed: true, Msg: msg, Data: map[string]any{"rc": rc, "msg": msg}}
}

// load reads the file at path (through a link, as Ansible opens it). A
// directory is a failed result (rc 256, as Ansible's); a missing file is no
// error: info.Exists tells.
func load(ctx context.Context, h *modules.Host, path string) (textFile, *modules.Result, error) {
	info, err := modules.StatPath(ctx, h, path, true)
	if err != nil {
		return textFile{}, nil, err
	}
	f := textFile{path: path, info: info}
	switch {
	case info.Type == "directory":
		res := failure(256, fmt.Sprintf("Path %s is a directory !", path))
		return f, &res, nil
	case !info.Exists:
		return f, nil, nil
	case info.Type != "file":
		return f, nil, fmt.Errorf("%s is a %s, not a regular file", path, info.Type)
	case info.Size > maxFile:
		return f, nil, fmt.Errorf("%s has %d bytes; ferry edits files up to %d MiB in place (use copy or template for larger ones)", path, info.Size, maxFile>>20)
	}
	b, err := modules.ReadFile(ctx, h, path, maxFile+1)
	if err != nil {
		return f, nil, fmt.Errorf("reading %s: %w", path, err)
	}
	f.content = string(b)
	return f, nil, nil
}

// saved is what save did beyond the content.
type saved struct {
	backup string // the backup file made, "" for none
	attrs  bool   // mode or owner differed (and were set)
	diffs  []modules.Diff
}

// save writes after over the file when it differs from what was read, and
// converges mode and owner either way, all through the gate. A missing
// parent directory is created first, as Ansible's create=yes does.
func save(ctx context.Context, h *modules.Host, f textFile, after string, o modules.FileEditOptions) (saved, error) {
	if msg, err := o.SELinuxContext.Unsupported(ctx, h); msg != "" || err != nil {
		return saved{}, cmp.Or(err, errors.New(msg))
	}
	attrs, err := modules.AttrsDiffer(o.FileAttrs, f.info)
	if err != nil {
		return saved{}, err
	}
	if !f.info.Exists {
		if err := makeParent(ctx, h, f.path); err != nil {
			return saved{}, err
		}
	}
	res, backup, err := modules.WriteContent(ctx, h, modules.ContentWrite{Path: f.path, Content: []byte(after), Options: o})
	return saved{backup: backup, attrs: attrs, diffs: res.Diffs}, err
}

// makeParent creates the file's missing parent directories through the gate
// (in check mode a plan line; the write then plans into the directory that
// does not exist yet).
func makeParent(ctx context.Context, h *modules.Host, path string) error {
	dir := path[:max(strings.LastIndexByte(path, '/'), 0)]
	if dir == "" {
		return nil
	}
	info, err := modules.StatPath(ctx, h, dir, true)
	if err != nil || info.Exists {
		return err
	}
	return h.Change("create directory "+dir, func(w modules.Writer) error {
		_, err := modules.WriteScript(ctx, w, "mkdir -p -- "+shellquote.Quote(dir))
		return err
	})
}

// withAttrs appends Ansible's attribute message to msg.
func withAttrs(msg string, attrs bool) string {
	switch {
	case !attrs:
		return msg
	case msg == "":
		return attrsMsg
	}
	return msg + " and " + attrsMsg
}

// splitLines splits s after each "\n", keeping it, as Python's readlines.
func splitLines(s string) []string {
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}
