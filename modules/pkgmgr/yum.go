package pkgmgr

import (
	"context"

	"github.com/ferry-sh/ferry/modules"
)

func init() { modules.Register(yum{}) }

// yum is Ansible's yum action (ansible-core 2.14, plugins/action/yum.py):
// it runs the dnf module (yum4) when the host's pkg_mgr says dnf, or when
// use_backend does. ferry has no yum3 backend (EL7's yum).
type yum struct{}

// yumOptions are dnf's options with yum's backend choice.
type yumOptions struct {
	dnfOptions
	UseBackend string `opt:"use_backend" default:"auto" choices:"auto,yum,yum4,dnf" doc:"The backend: dnf (yum4), or yum (yum3, which ferry does not have); auto: the pkg_mgr fact, else what the host has."`
}

func (yum) Spec() modules.Spec {
	spec := dnf{}.Spec()
	spec.Name = "yum"
	spec.Summary = "Install, upgrade and remove RPM packages with yum, which is dnf (yum4) on current systems"
	spec.Args = modules.OptionsOf[yumOptions]()
	return spec
}

// yumDetectFailure is the yum action's msg when no backend is found: a
// tuple in Ansible's source, so a list of two strings in the result.
var yumDetectFailure = []any{
	"Could not detect which major revision of yum is in use, which is required to determine module backend.",
	"You should manually specify use_backend to tell the module whether to use the yum (yum3) or dnf (yum4) backend})",
}

func (yum) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[yumOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	backend, detected := o.UseBackend, ""
	if backend == "auto" {
		if backend, err = pkgMgr(ctx, h); err != nil {
			return modules.Result{}, err
		}
		detected = backend
	}
	var res modules.Result
	switch backend {
	case "dnf", "yum4":
		rest := modules.Args{}
		for k, v := range args {
			if k != "use_backend" {
				rest[k] = v
			}
		}
		res, err = dnf{}.Run(ctx, h, rest)
	case "yum":
		res = failed("the yum3 backend (EL7's yum) is not supported by ferry: use_backend dnf needs dnf on the host", nil)
	default:
		res = modules.Result{Failed: true, Msg: yumDetectFailure[0].(string) + " " + yumDetectFailure[1].(string),
			Data: map[string]any{"msg": yumDetectFailure}}
	}
	if res.Failed && detected != "" && res.Data != nil {
		// Ansible's action returns the pkg_mgr it had to detect.
		res.Data["ansible_facts"] = map[string]any{"pkg_mgr": detected}
	}
	return res, err
}
