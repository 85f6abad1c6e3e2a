package modules

import (
	"context"
	"fmt"

	"github.com/ferry-sh/ferry/internal/shellquote"
)

// WantMode is the mode path should have: the requested one applied to the
// current mode, or the current mode when none is requested.
func (a FileAttrs) WantMode(info PathInfo) (uint32, error) {
	if a.Mode == nil {
		return info.Mode, nil
	}
	return parseMode(a.Mode, info.Mode, info.Type == "directory")
}

// Converge fixes mode and owner drift of an existing path, each through the
// gate so that drift alone reports changed and plans in check mode. A
// symlink's own mode cannot be set on Linux, so links only get chown -h.
func (a FileAttrs) Converge(ctx context.Context, h *Host, path string, info PathInfo) error {
	if a.Mode != nil && info.Type != "link" {
		want, err := a.WantMode(info)
		if err != nil {
			return err
		}
		if want != info.Mode {
			script := fmt.Sprintf("chmod %s -- %s", FormatMode(want), shellquote.Quote(path))
			err := h.Change(fmt.Sprintf("chmod %s %s (was %s)", FormatMode(want), path, FormatMode(info.Mode)), func(w Writer) error {
				_, err := WriteScript(ctx, w, script)
				return err
			})
			if err != nil {
				return err
			}
		}
	}
	if (a.Owner != "" || a.Group != "") && !info.OwnedBy(a.Owner, a.Group) {
		spec := OwnerSpec(a.Owner, a.Group)
		flag := ""
		if info.Type == "link" {
			flag = "-h "
		}
		script := fmt.Sprintf("chown %s%s -- %s", flag, shellquote.Quote(spec), shellquote.Quote(path))
		return h.Change(fmt.Sprintf("chown %s %s (was %s:%s)", spec, path, info.Owner, info.Group), func(w Writer) error {
			_, err := WriteScript(ctx, w, script)
			return err
		})
	}
	return nil
}
