package account

import (
	"context"
	"strconv"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

func init() { modules.Register(group{}) }

// group is Ansible's group module (groupadd, groupmod, groupdel).
type group struct{}

func (group) Spec() modules.Spec {
	return modules.Spec{
		Name:    "group",
		Summary: "Add, change the GID of, or remove a local group",
		Args: []modules.Arg{
			{Name: "name", Type: modules.String, Required: true, Doc: "The group's name."},
			{Name: "state", Type: modules.String, Default: "present", Choices: []string{"absent", "present"}, Doc: "present or absent."},
			{Name: "gid", Type: modules.Int, Doc: "The group's GID."},
			{Name: "system", Type: modules.Bool, Default: false, Doc: "Create a system group (a GID from the system range)."},
			{Name: "local", Type: modules.Bool, Default: false, Doc: "Not supported by ferry (libuser's lgroupadd): fails when true."},
			{Name: "non_unique", Type: modules.Bool, Default: false, Doc: "Allow a GID another group has (needs gid)."},
		},
		Check: modules.CheckSupported,
	}
}

func (group) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	name := args.String("name")
	if args.Bool("local") {
		return failed("local groups (lgroupadd) are not supported by ferry", nil), nil
	}
	if args.Bool("non_unique") && !args.Has("gid") {
		return failed("non_unique is True but all of the following are missing: gid", nil), nil
	}
	g, err := lookup(ctx, h, "group", name)
	if err != nil {
		return modules.Result{}, err
	}
	data := map[string]any{"name": name, "state": args.String("state")}
	var cmd []string
	switch {
	case args.String("state") == "absent" && g != nil:
		cmd = []string{"groupdel", name}
	case args.String("state") == "present" && g == nil:
		cmd = []string{"groupadd"}
		cmd = append(cmd, gidFlags(args)...)
		if args.Bool("system") {
			cmd = append(cmd, "-r")
		}
		cmd = append(cmd, name)
	case args.String("state") == "present" && args.Has("gid") && g.id(2) != args.Int("gid"):
		cmd = append(append([]string{"groupmod"}, gidFlags(args)...), name)
	}
	if cmd != nil {
		out, err := hostcmd.Change(ctx, h, hostcmd.Quote(cmd...), hostcmd.Quote(cmd...))
		if err != nil {
			return modules.Result{}, err
		}
		if h.Check && (g == nil || args.String("state") == "absent") {
			return modules.Result{Data: map[string]any{}}, nil // Ansible's check mode answers only changed here
		}
		if res, bad := commandResult(name, out, data); bad {
			return res, nil
		}
	}
	if g, err = lookup(ctx, h, "group", name); err != nil {
		return modules.Result{}, err
	}
	if g != nil {
		data["system"] = args.Bool("system")
		data["gid"] = g.id(2)
	}
	return modules.Result{Data: data}, nil
}

func gidFlags(args modules.Args) []string {
	if !args.Has("gid") {
		return nil
	}
	flags := []string{"-g", strconv.Itoa(args.Int("gid"))}
	if args.Bool("non_unique") {
		flags = append(flags, "-o")
	}
	return flags
}
