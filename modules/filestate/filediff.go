package filestate

import (
	"cmp"
	"time"

	"github.com/ferry-sh/ferry/internal/keyorder"
	"github.com/ferry-sh/ferry/modules"
)

// fileDiff is the diff Ansible's file module registers with or without
// --diff (initial_diff, then what set_fs_attributes_if_different and the
// timestamps add): the path before and after, the state when it changes,
// a link's old and new src, the owner and group (as ids) and mode it
// changes, and the times touch sets. nil for a path absent before and
// after, whose result has none.
func (f *fileTask) fileDiff(state string, was modules.PathInfo, data map[string]any) map[string]any {
	prev := cmp.Or(was.Type, "absent")
	if state == "absent" && prev == "absent" {
		return nil
	}
	before, after := map[string]any{"path": f.path}, map[string]any{"path": f.path}
	order := []string{"path"}
	set := func(key string, old, now any) {
		before[key], after[key] = old, now
		order = append(order, key)
	}
	if prev != state {
		set("state", prev, state)
	}
	if state == "link" && prev == "link" && was.Target != f.o.Src {
		set("src", was.Target, f.o.Src)
	}
	if was.Exists && state != "absent" {
		if uid, ok := data["uid"].(int); ok && f.attrs.Owner != "" && uid != was.UID {
			set("owner", was.UID, uid)
		}
		if gid, ok := data["gid"].(int); ok && f.attrs.Group != "" && gid != was.GID {
			set("group", was.GID, gid)
		}
		if mode, ok := data["mode"].(string); ok && f.attrs.Mode != nil && was.Type != "link" && mode != modules.FormatMode(was.Mode) {
			set("mode", modules.FormatMode(was.Mode), mode)
		}
	}
	if _, touched := f.o.FileTimes.touchFlags(state); touched && (state == "touch" || was.Exists) {
		now := float64(time.Now().UnixNano()) / 1e9 // the times touch gave the path
		set("mtime", now, now)
		set("atime", now, now)
	}
	keyorder.Set(before, order)
	keyorder.Set(after, order)
	diff := map[string]any{"before": before, "after": after}
	keyorder.Set(diff, []string{"before", "after"})
	return diff
}
