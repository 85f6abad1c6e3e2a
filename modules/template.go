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

type templateOptions struct {
	Src  string `opt:"src,required" doc:"The template on the controller. A relative path is looked up in <playbook dir>/templates, then in the playbook dir."`
	Dest string `opt:"dest,required" doc:"The file on the host."`
	// force: false is how roles install a file only once (a config the
	// admin may edit afterwards), as Ansible's template allows.
	Force bool `opt:"force" default:"true" doc:"Replace dest when its content differs; with false, an existing dest keeps its content."`
	FileInstallOptions
}

func (templateModule) Spec() Spec {
	return Spec{
		Name:    "template",
		Summary: "Render a template with the task's variables into a file on the host",
		Args:    OptionsOf[templateOptions](),
		Check:   CheckSupported,
	}
}

func (templateModule) Run(ctx context.Context, h *Host, args Args) (Result, error) {
	o, err := Decode[templateOptions](args)
	if err != nil {
		return Result{}, err
	}
	local, err := FindControllerFile(h.BaseDir, "templates", o.Src)
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
	rendered, err := renderFile(h.Vars, string(text), o.Src, local, o.Dest)
	if err != nil {
		return Result{}, fmt.Errorf("rendering template %s: %w", local, err)
	}
	return installFile(ctx, h, installRequest{
		src:    contentSource(rendered, local),
		dest:   o.Dest,
		attrs:  o.FileAttrs,
		backup: o.Backup,
		force:  o.Force,
		follow: o.Follow,
	})
}

// FileRenderer is a Vars that renders a template file as Ansible's template
// action does, with template_path, ansible_managed and the other
// variables it adds for the file.
type FileRenderer interface {
	RenderFile(text, src, path, dest string) (string, error)
}

func renderFile(v Vars, text, src, path, dest string) (string, error) {
	if fr, ok := v.(FileRenderer); ok {
		return fr.RenderFile(text, src, path, dest)
	}
	return v.Render(text)
}
