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

type groupOptions struct {
	Name      string `opt:"name,required" doc:"The group's name."`
	State     string `opt:"state" default:"present" choices:"absent,present" doc:"present or absent."`
	GID       *int   `opt:"gid" doc:"The group's GID."`
	System    bool   `opt:"system" default:"false" doc:"Create a system group (a GID from the system range)."`
	Local     bool   `opt:"local" default:"false" doc:"Not supported by ferry (libuser's lgroupadd): fails when true."`
	NonUnique bool   `opt:"non_unique" default:"false" doc:"Allow a GID another group has (needs gid)."`
}

func (group) Spec() modules.Spec {
	return modules.Spec{
		Name:    "group",
		Returns: []string{"name", "state", "changed", "system", "gid"}, // the order of Ansible's result
		Summary: "Add, change the GID of, or remove a local group",
		Args:    modules.OptionsOf[groupOptions](),
		Check:   modules.CheckSupported,
	}
}

func (group) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[groupOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	name := o.Name
	if o.Local {
		return failed("local groups (lgroupadd) are not supported by ferry", nil), nil
	}
	if o.NonUnique && o.GID == nil {
		return failed("non_unique is True but all of the following are missing: gid", nil), nil
	}
	g, err := lookup(ctx, h, "group", name)
	if err != nil {
		return modules.Result{}, err
	}
	data := map[string]any{"name": name, "state": o.State}
	var cmd []string
	switch {
	case o.State == "absent" && g != nil:
		cmd = []string{"groupdel", name}
	case o.State == "present" && g == nil:
		cmd = []string{"groupadd"}
		cmd = append(cmd, gidFlags(o)...)
		if o.System {
			cmd = append(cmd, "-r")
		}
		cmd = append(cmd, name)
	case o.State == "present" && o.GID != nil && g.id(2) != *o.GID:
		cmd = append(append([]string{"groupmod"}, gidFlags(o)...), name)
	}
	if cmd != nil {
		out, err := hostcmd.Change(ctx, h, hostcmd.Quote(cmd...), hostcmd.Quote(cmd...))
		if err != nil {
			return modules.Result{}, err
		}
		if h.Pending() && (g == nil || o.State == "absent") {
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
		data["system"] = o.System
		data["gid"] = g.id(2)
	}
	return modules.Result{Data: data}, nil
}

func gidFlags(o groupOptions) []string {
	if o.GID == nil {
		return nil
	}
	flags := []string{"-g", strconv.Itoa(*o.GID)}
	if o.NonUnique {
		flags = append(flags, "-o")
	}
	return flags
}
