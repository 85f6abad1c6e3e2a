package files

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/ferry-sh/ferry/modules"
)

// applyMemberAttrs gives the unpacked members and their top directories the
// task's mode, owner and group, as unarchive.py's
// set_fs_attributes_if_different loop after unpacking (a symbolic mode is
// applied to each path's own mode). The paths are read in one probe and
// fixed in one change, whatever the archive's size: a source tree has
// thousands of members.
func applyMemberAttrs(ctx context.Context, h *modules.Host, o unarchiveOptions, members []string) error {
	attrs := o.FileAttrs
	if attrs.Mode == nil && attrs.Owner == "" && attrs.Group == "" {
		return nil
	}
	paths := memberPaths(o.Dest, members)
	infos, err := statPaths(ctx, h, paths)
	if err != nil {
		return err
	}
	var chown []string
	chmod := map[uint32][]string{}
	for i, info := range infos {
		if !info.Exists {
			continue
		}
		if (attrs.Owner != "" || attrs.Group != "") && !info.OwnedBy(attrs.Owner, attrs.Group) {
			chown = append(chown, paths[i])
		}
		if attrs.Mode != nil && info.Type != "link" { // a link's own mode cannot be set on Linux
			want, err := attrs.WantMode(info)
			if err != nil {
				return fmt.Errorf("%s: %w", paths[i], err)
			}
			if want != info.Mode {
				chmod[want] = append(chmod[want], paths[i])
			}
		}
	}
	if len(chown) == 0 && len(chmod) == 0 {
		return nil
	}
	what := fmt.Sprintf("set the mode and owner of %d unpacked paths in %s", len(chown)+countPaths(chmod), o.Dest)
	return h.Change(what, func(w modules.Writer) error {
		if len(chown) > 0 { // before chmod: chown may clear setuid and setgid bits
			spec := modules.OwnerSpec(attrs.Owner, attrs.Group)
			if err := eachPath(ctx, w, h, chown, "chown", "-h", spec); err != nil {
				return err
			}
		}
		for _, mode := range slices.Sorted(maps.Keys(chmod)) {
			if err := eachPath(ctx, w, h, chmod[mode], "chmod", modules.FormatMode(mode)); err != nil {
				return err
			}
		}
		return nil
	})
}

// memberPaths are the paths unarchive.py sets attributes on: each member
// under dest (a name the transformation emptied is dest itself), then the
// top directory of each nested member; each once.
func memberPaths(dest string, members []string) []string {
	var paths []string
	add := func(p string) {
		if !slices.Contains(paths, p) {
			paths = append(paths, p)
		}
	}
	for _, m := range members {
		add(path.Join(dest, m))
	}
	for _, m := range members {
		if top, _, nested := strings.Cut(m, "/"); nested {
			add(path.Join(dest, top))
		}
	}
	return paths
}

// statPaths describes each path (not following links) with one probe; the
// paths travel on stdin, NUL-separated, so that no command line limits
// their number.
func statPaths(ctx context.Context, h *modules.Host, paths []string) ([]modules.PathInfo, error) {
	script := `xargs -0 sh -c 'for p; do if [ -e "$p" ] || [ -L "$p" ]; then stat -c "` + modules.StatFormat + `" -- "$p"; else echo missing; fi; done' sh`
	out, err := h.Query(ctx, modules.Command{Shell: script, Stdin: strings.NewReader(nulList(paths)), Become: h.Become})
	if err == nil && out.RC != 0 {
		err = fmt.Errorf("rc %d: %s", out.RC, modules.FirstLine(out.Stderr))
	}
	if err != nil {
		return nil, fmt.Errorf("reading the unpacked paths in %s on %s: %w", path.Dir(paths[0]), modules.HostLabel(h), err)
	}
	lines := strings.Split(strings.TrimSuffix(out.Stdout, "\n"), "\n")
	if len(lines) != len(paths) {
		return nil, fmt.Errorf("reading the unpacked paths on %s: %d lines for %d paths", modules.HostLabel(h), len(lines), len(paths))
	}
	infos := make([]modules.PathInfo, len(paths))
	for i, line := range lines {
		if line == "missing" {
			continue
		}
		if infos[i], err = modules.ParseStatLine(line); err != nil {
			return nil, fmt.Errorf("reading %s on %s: %w", paths[i], modules.HostLabel(h), err)
		}
	}
	return infos, nil
}

// eachPath runs argv with each of paths appended (xargs: as many per run as
// fit), through the gate's Writer.
func eachPath(ctx context.Context, w modules.Writer, h *modules.Host, paths []string, argv ...string) error {
	cmd := append(append([]string{"xargs", "-0", "-r"}, argv...), "--")
	out, err := w.Run(ctx, modules.Command{Argv: cmd, Stdin: strings.NewReader(nulList(paths)), Become: h.Become})
	if err == nil && out.RC != 0 {
		err = fmt.Errorf("%s failed on %s (rc %d): %s", argv[0], modules.HostLabel(h), out.RC, modules.FirstLine(out.Stderr))
	}
	return err
}

func nulList(paths []string) string { return strings.Join(paths, "\x00") + "\x00" }

func countPaths(m map[uint32][]string) int {
	n := 0
	for _, ps := range m {
		n += len(ps)
	}
	return n
}
