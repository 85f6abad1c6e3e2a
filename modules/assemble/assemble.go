// Package assemble is Ansible's assemble module: a file made of the
// fragments in a directory (conf.d style), on the host (remote_src, the
// default) or from the controller. It follows ansible-core 2.14's
// modules/assemble.py and its action plugin: fragments in sorted name
// order, regexp and ignore_hidden, the delimiter between fragments, a
// newline after a fragment that lacks it; the result written by the safe
// write (validate, backup, mode, owner, group) only when it differs.
// Like Ansible's, it does not run under --check (the task is skipped).
package assemble

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"

	"github.com/ferry-sh/ferry/internal/pyre"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

func init() { modules.Register(assembleModule{}) }

type assembleModule struct{}

type assembleOptions struct {
	Src          string  `opt:"src,required" doc:"The directory of fragments: on the host, or on the controller with remote_src: false (found in files/ as copy's src)."`
	Dest         string  `opt:"dest,required" doc:"The file to write on the host."`
	Delimiter    *string `opt:"delimiter" doc:"A line written between fragments; escapes such as \\n are decoded."`
	RemoteSrc    bool    `opt:"remote_src" default:"true" doc:"src is on the host; false reads it on the controller."`
	Regexp       *string `opt:"regexp" doc:"Only the files whose name this regular expression matches (searched anywhere in the name)."`
	IgnoreHidden bool    `opt:"ignore_hidden" default:"false" doc:"Leave out files whose name starts with a dot."`
	Decrypt      bool    `opt:"decrypt" default:"true" doc:"Decrypt vault-encrypted fragments on the controller."`
	modules.BackupOption
	modules.ValidateOption
	modules.FileAttrs
	modules.SELinuxContext
}

// checkModeMsg is the action's skip under --check: it does not support it.
const checkModeMsg = "check mode is not supported for this task."

func (assembleModule) Spec() modules.Spec {
	return modules.Spec{
		Name:          "assemble",
		Summary:       "Assemble a file on the host from a directory of fragments",
		Args:          modules.OptionsOf[assembleOptions](),
		Check:         modules.CheckSkip,
		CheckSkipData: map[string]any{"msg": checkModeMsg},
		Returns: []string{"changed", "src", "dest", "checksum", "md5sum", "validation", "backup_file", "msg",
			"uid", "gid", "owner", "group", "mode", "state", "size"},
	}
}

func (assembleOptions) OptionChecks() map[string]func(any) error {
	return map[string]func(any) error{"regexp": func(v any) error {
		if s, ok := v.(string); ok {
			if _, err := pyre.Compile(s); err != nil {
				return fmt.Errorf("regexp %q: %v (Go's RE2 has no look-arounds or backreferences: rewrite the pattern without them)", s, err)
			}
		}
		return nil
	}}
}

// Run is the action's run: the fragments assembled (on the host by the
// module, or here by the action), then the file installed when its content
// differs, its attributes set either way.
func (assembleModule) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[assembleOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	if msg, err := o.SELinuxContext.Unsupported(ctx, h); msg != "" || err != nil {
		return failed(msg), err
	}
	if o.RemoteSrc {
		if o.Src, err = hostcmd.ExpandUser(ctx, h, o.Src); err != nil {
			return modules.Result{}, err
		}
	}
	if o.Dest, err = hostcmd.ExpandUser(ctx, h, o.Dest); err != nil {
		return modules.Result{}, err
	}
	var fragments []fragment
	var res modules.Result
	if o.RemoteSrc {
		fragments, res, err = o.onHost(ctx, h)
	} else {
		fragments, res, err = o.onController(h)
	}
	if err != nil || res.Failed {
		return res, err
	}
	return o.install(ctx, h, join(fragments, o.Delimiter))
}

// onHost checks src as assemble.py does and reads its fragments.
func (o assembleOptions) onHost(ctx context.Context, h *modules.Host) ([]fragment, modules.Result, error) {
	info, err := modules.StatPath(ctx, h, o.Src, true)
	switch {
	case err != nil:
		return nil, modules.Result{}, err
	case !info.Exists:
		return nil, failed(fmt.Sprintf("Source (%s) does not exist", o.Src)), nil
	case info.Type != "directory":
		return nil, failed(fmt.Sprintf("Source (%s) is not a directory", o.Src)), nil
	}
	fragments, err := hostFragments(ctx, h, o, o.compiled())
	return fragments, modules.Result{}, err
}

// onController finds src as the action does (files/ of the role or
// playbook) and reads its fragments.
func (o assembleOptions) onController(h *modules.Host) ([]fragment, modules.Result, error) {
	dir, err := h.ControllerFile("files", o.Src)
	if err != nil {
		return nil, failed(err.Error()), nil
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, failed(fmt.Sprintf("Source (%s) is not a directory", dir)), nil
	}
	fragments, err := controllerFragments(h, o, dir, o.compiled())
	return fragments, modules.Result{}, err
}

func (o assembleOptions) compiled() *regexp.Regexp {
	if o.Regexp == nil {
		return nil
	}
	re, _ := pyre.Compile(*o.Regexp) // checked before the run (OptionChecks)
	return re
}

// install writes content to dest when it differs (validated, backed up),
// and sets dest's attributes; the result is the module's: src, dest, the
// content's sha1 and md5, msg "OK" from the module on the host, and dest's
// attributes (exit_json's path info).
func (o assembleOptions) install(ctx context.Context, h *modules.Host, content []byte) (modules.Result, error) {
	validation, refused, err := o.validate(ctx, h, content)
	if refused != nil || err != nil {
		return derefResult(refused), err
	}
	res, done, err := modules.InstallReport(ctx, h, modules.InstallRequest{
		Src: modules.ContentSource(string(content), ""), Dest: o.Dest, Attrs: o.FileAttrs,
		Backup: o.Backup, Force: true, Follow: true,
	})
	if err != nil {
		return modules.Result{}, err
	}
	if validation != nil {
		res.Data["validation"] = validation
	}
	sha, md := sha1.Sum(content), md5.Sum(content)
	data := res.Data
	delete(data, "bytes_transferred")
	data["src"], data["dest"] = o.Src, done.Dest
	data["checksum"], data["md5sum"] = hex.EncodeToString(sha[:]), hex.EncodeToString(md[:])
	if o.RemoteSrc {
		data["msg"] = "OK"
	}
	return res, nil
}

func derefResult(r *modules.Result) modules.Result {
	if r == nil {
		return modules.Result{}
	}
	return *r
}

func failed(msg string) modules.Result {
	return modules.Result{Failed: true, Msg: msg, Data: map[string]any{}}
}
