package debconf

import (
	"context"
	"errors"
	"strings"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

func init() { modules.Register(dpkgSelectionsModule{}) }

type dpkgSelectionsModule struct{}

type dpkgSelectionsOptions struct {
	Name      string `opt:"name,required" doc:"The package."`
	Selection string `opt:"selection,required" choices:"install,hold,deinstall,purge" doc:"What dpkg is to do with it (hold keeps it at its version)."`
}

func (dpkgSelectionsModule) Spec() modules.Spec {
	return modules.Spec{
		Name:    "dpkg_selections",
		Summary: "Set a package's dpkg selection (install, hold, deinstall, purge)",
		Args:    modules.OptionsOf[dpkgSelectionsOptions](),
		Check:   modules.CheckSupported,
		Returns: []string{"changed", "before", "after"}, // the order of Ansible's result
	}
}

// Run follows ansible-core 2.14's modules/dpkg_selections.py: dpkg
// --get-selections, then --set-selections when the selection differs. A
// package dpkg does not know is "not present" and stays so (dpkg only
// warns), so such a task reports changed every time, as Ansible's does.
func (dpkgSelectionsModule) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[dpkgSelectionsOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	out, err := hostcmd.Query(ctx, h, hostcmd.Quote("dpkg", "--get-selections", o.Name))
	if err != nil {
		return modules.Result{}, err
	}
	if out.RC != 0 {
		return checkRCFailure(out)
	}
	current := "not present"
	if f := strings.Fields(out.Stdout); len(f) > 1 {
		current = f[1]
	}
	data := map[string]any{"before": current, "after": o.Selection}
	if current == o.Selection {
		return modules.Result{Data: data}, nil
	}
	out, err = hostcmd.ChangeWithInput(ctx, h, "dpkg --set-selections "+o.Name+" "+o.Selection, "dpkg --set-selections", o.Name+" "+o.Selection)
	if err != nil {
		return modules.Result{}, err
	}
	if !h.Check && out.RC != 0 {
		return checkRCFailure(out)
	}
	return modules.Result{Data: data}, nil
}

// checkRCFailure is run_command's check_rc: the command's output, and its
// stderr (or stdout) as the message.
func checkRCFailure(out modules.Output) (modules.Result, error) {
	msg := strings.TrimRight(out.Stderr, "\n")
	if msg == "" {
		msg = strings.TrimRight(out.Stdout, "\n")
	}
	data := modules.Ordered(map[string]any{"cmd": "dpkg", "rc": out.RC, "stdout": out.Stdout, "stderr": out.Stderr, "msg": msg},
		"cmd", "rc", "stdout", "stderr", "msg")
	return modules.Result{Data: data}, errors.New(msg)
}
