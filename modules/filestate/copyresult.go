package filestate

import (
	"context"

	"github.com/ferry-sh/ferry/internal/keyorder"
	"github.com/ferry-sh/ferry/modules"
)

// The result Ansible's copy action (and template's, which runs it) returns
// depends on what it did. Content written: the copy module's result, with
// the action's diff list (empty without --diff) and md5sum; under --check
// only that diff list. Content already there: the file module's result
// (path, its before/after diff of the attributes, then checksum and dest).
// With force off and dest there: dest and src alone, nothing changed.

// fileReturns is the order of the file module's result that copy returns
// when dest has the content already.
var fileReturns = []string{"diff", "path", "changed", "uid", "gid", "owner", "group", "mode", "state", "size", "checksum", "dest"}

// installAsCopy installs req and reports it as Ansible's copy action does.
func installAsCopy(ctx context.Context, h *modules.Host, req modules.InstallRequest) (modules.Result, error) {
	req.KeepWithoutForce = true
	res, done, err := modules.InstallReport(ctx, h, req)
	if err != nil || res.Failed || res.Data == nil {
		return res, err
	}
	data := res.Data
	if !req.Force && done.Before.Exists { // the action returns before any module runs
		res.Data = map[string]any{"dest": req.Dest, "src": req.Src.Label()}
		res.Returns = []string{"dest", "src", "changed"}
		return res, nil
	}
	if !done.Wrote {
		delete(data, "src")
		data["path"] = done.Dest
		data["diff"] = attrsDiff(h, req.Attrs, done, data)
		res.Returns = fileReturns
		return res, nil
	}
	diffs := []any{}
	for _, d := range res.Diffs {
		diffs = append(diffs, contentDiff(d, req.Src, done.Before.Exists))
	}
	if h.Check {
		res.Data = map[string]any{"diff": diffs}
		keyorder.Set(res.Data, []string{"diff"})
		return res, nil
	}
	data["diff"] = diffs
	if data["md5sum"], err = req.Src.MD5(ctx); err != nil {
		return modules.Result{}, err
	}
	return res, nil
}

// contentDiff is one entry of the copy action's diff list (_get_diff_data):
// before and after, headed by dest (when it existed) and the source.
func contentDiff(d modules.Diff, src modules.Source, existed bool) map[string]any {
	entry := map[string]any{"after": d.After, "after_header": src.Label(), "before": d.Before}
	order := []string{"after", "after_header", "before"}
	if existed {
		entry["before_header"] = d.Path
		order = append(order, "before_header")
	}
	keyorder.Set(entry, order)
	return entry
}

// attrsDiff is the file module's diff of a path whose content stays: its
// path before and after, and the mode, owner (uid) and group (gid) the task
// changes. Under --check the result keeps the path's current attributes,
// as Ansible's file module reports them.
func attrsDiff(h *modules.Host, attrs modules.FileAttrs, done modules.Installed, data map[string]any) map[string]any {
	before, after := map[string]any{"path": done.Dest}, map[string]any{"path": done.Dest}
	was := done.Before
	if want, err := attrs.WantMode(was); err == nil && want != was.Mode {
		before["mode"], after["mode"] = modules.FormatMode(was.Mode), modules.FormatMode(want)
	}
	if h.Check {
		data["mode"], data["owner"], data["group"] = modules.FormatMode(was.Mode), was.Owner, was.Group
		data["uid"], data["gid"], data["state"] = was.UID, was.GID, was.Type
	}
	if uid, ok := data["uid"].(int); ok && attrs.Owner != "" && uid != was.UID && !h.Check {
		before["owner"], after["owner"] = was.UID, uid
	}
	if gid, ok := data["gid"].(int); ok && attrs.Group != "" && gid != was.GID && !h.Check {
		before["group"], after["group"] = was.GID, gid
	}
	keyorder.Set(before, orderOf(before))
	keyorder.Set(after, orderOf(after))
	diff := map[string]any{"before": before, "after": after}
	keyorder.Set(diff, []string{"before", "after"})
	return diff
}

// orderOf is the order set_*_if_different fill a diff side in: path, then
// owner, group, mode.
func orderOf(side map[string]any) []string {
	var keys []string
	for _, k := range []string{"path", "owner", "group", "mode"} {
		if _, ok := side[k]; ok {
			keys = append(keys, k)
		}
	}
	return keys
}
