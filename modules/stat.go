package modules

import (
	"context"
	"fmt"
)

// stat describes a path on the host, registered as Ansible's stat module
// does it: result.stat.exists, .size, .isdir, .mode, .checksum...
type stat struct{}

func init() { Register(stat{}) }

func (stat) Spec() Spec {
	return Spec{
		Name:    "stat",
		Summary: "Describe a file or directory on the host (read-only).",
		Args: []Arg{
			{Name: "path", Type: String, Required: true, Aliases: []string{"dest", "name"}, Doc: "the path to describe"},
			{Name: "follow", Type: Bool, Default: false, Doc: "describe what a symlink points to"},
			{Name: "get_checksum", Type: Bool, Default: false, Doc: "also compute the sha256 of a regular file (reads it whole)"},
		},
	}
}

func (stat) Run(ctx context.Context, h *Host, args Args) (Result, error) {
	path := args.String("path")
	info, err := statPath(ctx, h, path, args.Bool("follow"))
	if err != nil {
		return Result{}, err
	}
	st := map[string]any{"exists": info.Exists, "path": path}
	if info.Exists {
		st["size"] = info.Size
		st["isdir"] = info.Type == "directory"
		st["isreg"] = info.Type == "file"
		st["islnk"] = info.Type == "link"
		st["mode"] = fmt.Sprintf("%04o", info.Mode)
		st["pw_name"] = info.Owner
		st["gr_name"] = info.Group
		st["uid"] = info.UID
		st["gid"] = info.GID
		if info.Type == "link" {
			st["lnk_target"] = info.Target
		}
		if args.Bool("get_checksum") && info.Type == "file" {
			sum, err := hostSHA256(ctx, h, path)
			if err != nil {
				return Result{}, err
			}
			st["checksum"] = sum
		}
	}
	return Result{Data: map[string]any{"stat": st}}, nil
}
