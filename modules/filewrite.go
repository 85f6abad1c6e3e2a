package modules

import (
	"context"
	"fmt"
	"strings"

	"github.com/ferry-sh/ferry/internal/shellquote"
)

// The file primitives module packages build on (lineinfile, blockinfile,
// replace, ini_file...): a probe of a path, a bounded read, and the one safe
// write of install.go (private part, no link followed, atomic rename,
// backup, validation), so that no module package writes files its own way.

// ContentWrite is new content for a whole file.
type ContentWrite struct {
	Path    string
	Content []byte
	// Options are the task's backup, validate, mode, owner and group
	// (those unset are not applied).
	Options FileEditOptions
}

// WriteContent converges the file at w.Path (or, when it is a symbolic
// link, the file it points to, as Ansible's realpath) to the content and
// attributes through the gate, with --diff's before/after. It returns the
// backup file it made, if any.
func WriteContent(ctx context.Context, h *Host, w ContentWrite) (Result, string, error) {
	res, err := Install(ctx, h, InstallRequest{
		Src:      ContentSource(string(w.Content), ""),
		Dest:     w.Path,
		Attrs:    w.Options.FileAttrs,
		Backup:   w.Options.Backup,
		Force:    true,
		Follow:   true,
		Validate: string(w.Options.Validate),
	})
	backup, _ := res.Data["backup_file"].(string)
	return Result{Diffs: res.Diffs}, backup, err
}

// AttrsDiffer reports whether the task's mode, owner or group differ from
// the path's (a missing path is taken as a new file, 0644): the part of
// Ansible's "ownership, perms or SE linux context changed".
func AttrsDiffer(attrs FileAttrs, info PathInfo) (bool, error) {
	if !info.Exists {
		info = PathInfo{Exists: true, Type: "file", Mode: 0o644}
		if attrs.Owner != "" || attrs.Group != "" {
			return true, nil
		}
	}
	want, err := attrs.WantMode(info)
	if err != nil {
		return false, err
	}
	return want != info.Mode || !info.OwnedBy(attrs.Owner, attrs.Group), nil
}

// ValidatePart runs the validate command on the written part before it
// replaces dest, as Ansible does on its temporary file; a failure removes
// the part and leaves dest alone. The command is split into words first and
// %s replaced in each, so a path with spaces stays one word. It runs inside
// the write's Change: the validator is the site's command, not a probe.
func ValidatePart(ctx context.Context, w Writer, validate, part string) error {
	if validate == "" {
		return nil
	}
	out, err := RunValidate(ctx, w, validate, part)
	if err == nil && out.RC == 0 {
		return nil
	}
	_, _ = WriteScript(ctx, w, "rm -f -- "+shellquote.Quote(part))
	if err != nil {
		return fmt.Errorf("failed to validate: %w", err)
	}
	return fmt.Errorf("failed to validate: rc:%d error:%s", out.RC, out.Stderr)
}

// RunValidate runs the validate command on path with the Writer and
// returns what it printed and its exit code (assemble registers them).
func RunValidate(ctx context.Context, w Writer, validate, path string) (Output, error) {
	words, err := shellquote.Split(validate)
	if err != nil {
		return Output{}, fmt.Errorf("validate %q: %w", validate, err)
	}
	for i, w := range words {
		words[i] = strings.ReplaceAll(strings.ReplaceAll(w, "%s", path), "%%", "%")
	}
	return w.Run(ctx, Command{Argv: words, Become: w.h.Become})
}
