package filestate

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/ferry-sh/ferry/modules"
)

// A directory src is copied as Ansible's copy action copies one: like
// rsync, "src/" copies what is in src into dest, "src" copies src itself
// into dest/src. Directories are made first, parents before children (new
// ones with directory_mode, or 0755), then every file lands through the one
// safe write (Install), then links. local_follow (the default) copies
// what a link to a file points to; other links are made again as links.

// treeItem is one entry of a controller directory to copy.
type treeItem struct {
	local  string // the controller path ("" for a link to make)
	rel    string // the path below dest
	target string // a link's target
}

type tree struct {
	dirs, files, links []treeItem
}

// walkTree lists src as Ansible's _walk_dirs does: the paths below dest
// start with src's name unless src ends in a slash.
func walkTree(src string, contentsOnly, follow bool) (tree, error) {
	var t tree
	base := filepath.Base(src)
	if contentsOnly {
		base = ""
	} else {
		t.dirs = append(t.dirs, treeItem{local: src, rel: base})
	}
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == src {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		item := treeItem{local: p, rel: path.Join(base, filepath.ToSlash(rel))}
		switch {
		case d.IsDir():
			t.dirs = append(t.dirs, item)
		case d.Type()&fs.ModeSymlink != 0:
			fi, statErr := os.Stat(p)
			if follow && statErr == nil && fi.Mode().IsRegular() {
				t.files = append(t.files, item)
				break
			}
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			t.links = append(t.links, treeItem{rel: item.rel, target: target})
		case d.Type().IsRegular():
			t.files = append(t.files, item)
		}
		return nil
	})
	return t, err
}

// copyTree copies the controller directory local into dest on the host.
func copyTree(ctx context.Context, h *modules.Host, o copyOptions, local string) (modules.Result, error) {
	contentsOnly := strings.HasSuffix(o.Src, "/")
	local = filepath.Clean(local)
	t, err := walkTree(local, contentsOnly, o.LocalFollow)
	if err != nil {
		return modules.Result{}, err
	}
	dest := strings.TrimSuffix(o.Dest, "/")
	if contentsOnly {
		t.dirs = append([]treeItem{{rel: ""}}, t.dirs...)
	}
	for _, d := range t.dirs {
		if err := ensureDir(ctx, h, path.Join(dest, d.rel), o); err != nil {
			return modules.Result{}, err
		}
	}
	var last modules.Result
	for _, f := range t.files {
		src, err := modules.ControllerSource(h, f.local, o.Decrypt)
		if err != nil {
			return modules.Result{}, err
		}
		attrs, err := o.withSourceMode(f.local) // each file's own mode with preserve
		if err != nil {
			return modules.Result{}, err
		}
		if last, err = installAsCopy(ctx, h, modules.InstallRequest{Src: src, Dest: path.Join(dest, f.rel), Attrs: attrs,
			Backup: o.Backup, Force: o.Force, Resume: o.Resume, Validate: string(o.Validate)}); err != nil {
			return modules.Result{}, err
		}
	}
	for _, l := range t.links {
		link := fileOptions{Path: path.Join(dest, l.rel), Src: l.target, State: "link", Force: true, Owner: o.Owner, Group: o.Group}
		if res, err := runFile(ctx, h, link); err != nil || res.Failed {
			return res, err
		}
	}
	if len(t.files) == 1 {
		return last, nil
	}
	if contentsOnly {
		local += "/"
	}
	return modules.Result{Data: map[string]any{"dest": dest + "/", "src": local}}, nil
}

// ensureDir makes a missing directory with directory_mode (0755 without
// it), owner and group; an existing one gets directory_mode if given, as
// Ansible's file module does for each directory copied.
func ensureDir(ctx context.Context, h *modules.Host, dir string, o copyOptions) error {
	res, err := runFile(ctx, h, fileOptions{Path: dir, State: "directory", Owner: o.Owner, Group: o.Group, Mode: o.DirectoryMode})
	if err == nil && res.Failed {
		err = fmt.Errorf("%s", res.Msg)
	}
	return err
}
