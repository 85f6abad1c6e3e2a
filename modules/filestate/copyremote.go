package filestate

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/ferry-sh/ferry/internal/shellquote"
	"github.com/ferry-sh/ferry/modules"
)

// copyOnHost copies a file that is on the host already (remote_src): the
// copy is made in a private part beside dest (mktemp, then renamed onto
// dest.ferry-part, never through a link), and installed as every file is
// (owner and mode set, then renamed over dest). Unchanged when dest has
// src's sha256.
func copyOnHost(ctx context.Context, h *modules.Host, o copyOptions) (modules.Result, error) {
	src, dest := o.Src, o.Dest
	srcInfo, err := modules.StatPath(ctx, h, src, true)
	if err != nil {
		return modules.Result{}, err
	}
	switch {
	case !srcInfo.Exists:
		return modules.Result{}, fmt.Errorf("Source %s not found", src)
	case srcInfo.Type == "directory":
		return modules.Result{}, fmt.Errorf("copy with remote_src of a directory (%s) is not supported yet; use command: cp -a with creates", src)
	}
	info, err := modules.StatPath(ctx, h, dest, true)
	if err != nil {
		return modules.Result{}, err
	}
	if info.Type == "directory" || strings.HasSuffix(dest, "/") {
		dest = path.Join(dest, path.Base(src))
		if info, err = modules.StatPath(ctx, h, dest, true); err != nil {
			return modules.Result{}, err
		}
	}
	sum, err := modules.HostSHA256(ctx, h, src)
	if err != nil {
		return modules.Result{}, err
	}
	attrs := o.FileAttrs
	if o.preserve { // copy.py reads src's mode on the host
		attrs.Mode = modules.FormatMode(srcInfo.Mode)
	}
	md5, err := modules.RunScript(ctx, h, "md5sum < "+shellquote.Quote(src)+" | cut -d' ' -f1") // copy.py's md5sum of src
	if err != nil {
		return modules.Result{}, err
	}
	data := map[string]any{"dest": dest, "src": src, "md5sum": strings.TrimSpace(md5), "checksum": sum, "size": srcInfo.Size}
	same := false // dest already has src's content (or force is off)
	switch {
	case !info.Exists:
	case !o.Force:
		same = true
	case info.Size == srcInfo.Size:
		other, err := modules.HostSHA256(ctx, h, dest)
		if err != nil {
			return modules.Result{}, err
		}
		same = other == sum
	}
	if same {
		if err := attrs.Converge(ctx, h, dest, info); err != nil {
			return modules.Result{}, err
		}
		return modules.Result{Data: data}, modules.ReportAttrs(ctx, h, modules.InstallRequest{Attrs: attrs}, dest, info, data)
	}
	base := info
	if !info.Exists {
		base = modules.PathInfo{Type: "file", Mode: srcInfo.Mode}
	}
	mode, err := attrs.WantMode(base)
	if err != nil {
		return modules.Result{}, err
	}
	backup := ""
	err = h.Change(fmt.Sprintf("copy %s to %s on the host (%s, mode %s)", src, dest, modules.HumanBytes(srcInfo.Size), modules.FormatMode(mode)), func(w modules.Writer) error {
		part := dest + modules.PartSuffix
		if _, err := modules.WriteScript(ctx, w, copyPartScript(src, part)); err != nil {
			return err
		}
		if err := modules.ValidatePart(ctx, w, string(o.Validate), part); err != nil {
			return err
		}
		if o.Backup && info.Exists {
			var err error
			if backup, err = modules.BackUp(ctx, w, dest); err != nil {
				return err
			}
		}
		_, err := modules.WriteScript(ctx, w, modules.InstallScript(h, attrs, part, dest, info, mode))
		return err
	})
	if err != nil {
		return modules.Result{}, err
	}
	if backup != "" {
		data["backup_file"] = backup
	}
	return modules.Result{Data: data}, modules.ReportAttrs(ctx, h, modules.InstallRequest{Attrs: attrs}, dest, info, data)
}

// copyPartScript copies src into a new private file and renames it onto
// part: whatever was at part (a link someone planted) is replaced, never
// written through.
func copyPartScript(src, part string) string {
	return fmt.Sprintf(`umask 077
t=$(mktemp -- %s) || exit 1
cat -- %s > "$t" && mv -fT -- "$t" %s || { rm -f -- "$t"; exit 1; }`, shellquote.Quote(modules.TempTemplate(part)), shellquote.Quote(src), shellquote.Quote(part))
}
