package filestate

import (
	"context"
	"fmt"
	"os"

	"github.com/ferry-sh/ferry/modules"
)

func init() { modules.Register(templateModule{}) }

// templateModule renders a template on the controller and installs the result
// exactly as copy installs content.
type templateModule struct{}

type templateOptions struct {
	Src  string `opt:"src,required" doc:"The template on the controller. A relative path is looked up in <playbook dir>/templates, then in the playbook dir."`
	Dest string `opt:"dest,required" doc:"The file on the host."`
	// force: false is how roles install a file only once (a config the
	// admin may edit afterwards), as Ansible's template allows.
	Force bool `opt:"force" default:"true" doc:"Replace dest when its content differs; with false, an existing dest keeps its content."`
	// Jinja's whitespace settings; a #jinja2: first line of the template
	// overrides them, as in Ansible.
	TrimBlocks   bool `opt:"trim_blocks" default:"true" doc:"Drop the first newline after a block tag ({% if %}...)."`
	LstripBlocks bool `opt:"lstrip_blocks" doc:"Drop the spaces and tabs before a block tag at the start of its line."`
	modules.FileInstallOptions
	modules.ValidateOption
	modules.SELinuxContext
}

func (templateModule) Spec() modules.Spec {
	return modules.Spec{
		Name:    "template",
		Returns: copyReturns, // Ansible's template action returns copy's result
		Summary: "Render a template with the task's variables into a file on the host",
		Args:    modules.ModeMayPreserve(modules.OptionsOf[templateOptions]()),
		Check:   modules.CheckSupported,
	}
}

func (templateModule) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	args, preserve := modules.TakePreserve(args)
	o, err := modules.Decode[templateOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	if msg, err := o.SELinuxContext.Unsupported(ctx, h); msg != "" || err != nil {
		return modules.Result{Failed: msg != "", Msg: msg, Data: map[string]any{"msg": msg}}, err
	}
	local, err := h.ControllerFile("templates", o.Src)
	if err != nil {
		return modules.Result{}, err
	}
	if o.FileAttrs, err = sourceMode(o.FileAttrs, preserve, local); err != nil { // the template's own mode
		return modules.Result{}, err
	}
	text, vaulted, err := modules.Unvault(h, local)
	if !vaulted && err == nil {
		text, err = os.ReadFile(local)
	}
	if err != nil {
		return modules.Result{}, fmt.Errorf("reading template %s: %w", local, err)
	}
	if h.Vars == nil {
		return modules.Result{}, fmt.Errorf("template %s: no variables to render with", local)
	}
	rendered, err := renderFile(h.Vars, modules.TemplateFile{Text: string(text), Src: o.Src, Path: local, Dest: o.Dest,
		TrimBlocks: o.TrimBlocks, LstripBlocks: o.LstripBlocks})
	if err != nil {
		return modules.Result{}, fmt.Errorf("rendering template %s: %w", local, err)
	}
	return installAsCopy(ctx, h, modules.InstallRequest{
		Src:      modules.ContentSource(rendered, local),
		Dest:     o.Dest,
		Attrs:    o.FileAttrs,
		Backup:   o.Backup,
		Force:    o.Force,
		Follow:   o.Follow,
		Validate: string(o.Validate),
	})
}

func renderFile(v modules.Vars, f modules.TemplateFile) (string, error) {
	if fr, ok := v.(modules.FileRenderer); ok {
		return fr.RenderFile(f)
	}
	return v.Render(f.Text)
}
