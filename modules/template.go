package modules

import (
	"context"
	"fmt"
	"os"
)

func init() { Register(templateModule{}) }

// templateModule renders a template on the controller and installs the result
// exactly as copy installs content.
type templateModule struct{}

func (templateModule) Spec() Spec {
	return Spec{
		Name:    "template",
		Summary: "Render a template with the task's variables into a file on the host",
		Args: append([]Arg{
			{Name: "src", Type: String, Required: true, Doc: "The template on the controller. A relative path is looked up in <playbook dir>/templates, then in the playbook dir."},
			{Name: "dest", Type: String, Required: true, Doc: "The file on the host."},
		}, fileInstallArgs()...),
		Check: CheckSupported,
	}
}

func (templateModule) Run(ctx context.Context, h *Host, args Args) (Result, error) {
	local, err := FindControllerFile(h.BaseDir, "templates", args.String("src"))
	if err != nil {
		return Result{}, err
	}
	text, vaulted, err := unvault(h, local)
	if !vaulted && err == nil {
		text, err = os.ReadFile(local)
	}
	if err != nil {
		return Result{}, fmt.Errorf("reading template %s: %w", local, err)
	}
	if h.Vars == nil {
		return Result{}, fmt.Errorf("template %s: no variables to render with", local)
	}
	rendered, err := h.Vars.Render(string(text))
	if err != nil {
		return Result{}, fmt.Errorf("rendering template %s: %w", local, err)
	}
	return installFile(ctx, h, installRequest{
		src:    contentSource(rendered, local),
		dest:   args.String("dest"),
		attrs:  attrsFromArgs(args),
		backup: args.Bool("backup"),
		force:  true,
		follow: args.Bool("follow"),
	})
}
