package modules

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// The option groups of the modules that write a file, embedded in their
// options structs (options.go) so that each is declared once: copy,
// template, get_url and uri install a file; lineinfile, blockinfile and
// replace rewrite one in place.

// FileAttrs are the mode, owner and group a task asks for, as Ansible's
// add_file_common_args declares them. Mode is nil, a string or a number
// (see parseMode).
type FileAttrs struct {
	Mode  any    `opt:"mode" kind:"mode" doc:"Permissions of dest: an octal string (\"0644\") or symbolic (\"u=rw,g=r,o=r\"). Unset keeps an existing file's mode; a new file gets 0644."`
	Owner string `opt:"owner" doc:"User (name or uid) that owns dest. Unset keeps an existing file's owner; a new file belongs to the become user, or the login user without become."`
	Group string `opt:"group" doc:"Group (name or gid) of dest."`
}

// ModeMayPreserve is the arguments of a module that installs a copy of a
// file (copy, template) whose mode may also be "preserve": dest gets the
// source's mode, as Ansible's copy and template actions give it. The
// module's Run takes it out with TakePreserve before Decode.
func ModeMayPreserve(args []Arg) []Arg {
	out := slices.Clone(args)
	for i := range out {
		if out[i].Name == "mode" {
			out[i].Kind = SourceMode
			out[i].Doc += " preserve gives dest the source's mode."
		}
	}
	return out
}

// TakePreserve reports whether args' mode is "preserve", and returns args
// without it then: the module resolves it to the source's mode.
func TakePreserve(args Args) (Args, bool) {
	if s, ok := args["mode"].(string); !ok || strings.TrimSpace(s) != "preserve" {
		return args, false
	}
	rest := maps.Clone(args)
	delete(rest, "mode")
	return rest, true
}

// BackupOption keeps a copy of the file a task replaces.
type BackupOption struct {
	Backup bool `opt:"backup" default:"false" doc:"Before replacing dest, keep a copy named dest.<pid>.<date>@<time>~ (reported as backup_file)."`
}

// FileInstallOptions are the options of a module that installs a file
// (InstallFile): mode, owner, group, backup, follow.
type FileInstallOptions struct {
	FileAttrs
	BackupOption
	Follow bool `opt:"follow" default:"false" doc:"When dest is a symbolic link, write the file it points to; by default the link itself is replaced by the file, as in Ansible."`
}

// FileEditOptions are the options of a module that rewrites a file in
// place (WriteContent): backup, validate, mode, owner, group, and the
// SELinux options (checked by the module: Unsupported).
type FileEditOptions struct {
	BackupOption
	ValidateOption
	FileAttrs
	SELinuxContext
}

// ValidateOption checks a file's new content on the host before it
// replaces the file (lineinfile's, copy's and template's validate).
type ValidateOption struct {
	Validate ValidateCommand "opt:\"validate\" doc:\"A command that checks the new content before it replaces the file; %s in it is the path of the new content (e.g. `visudo -cf %s`). The file is left alone when it exits non-zero.\""
}

// ValidateCommand is a command that checks a file's new content, with %s
// where the command takes the file.
type ValidateCommand string

// CheckOption refuses a command without %s: it would check nothing.
func (ValidateCommand) CheckOption(v any) error {
	if s, _ := v.(string); s != "" && !strings.Contains(s, "%s") {
		return &ArgError{Arg: "validate", Msg: fmt.Sprintf("validate must contain %%s: %s", s),
			Hint: "write %s where the command takes the file to check"}
	}
	return nil
}

// SELinuxContext are the SELinux options every file module of Ansible
// takes. Ansible ignores them on a host without SELinux enabled, which is
// where ferry runs them; on a host with SELinux enabled the task fails.
type SELinuxContext struct {
	Seuser  string `opt:"seuser" doc:"SELinux user of the path: ignored on a host without SELinux enabled (as Ansible does); fails where it is enabled (use command: chcon)."`
	Serole  string `opt:"serole" doc:"SELinux role (as seuser)."`
	Setype  string `opt:"setype" doc:"SELinux type (as seuser)."`
	Selevel string `opt:"selevel" doc:"SELinux level (as seuser)."`
}

// Unsupported is a failure message when a context is given and the host
// enforces SELinux (selinuxenabled exits 0), else "".
func (c SELinuxContext) Unsupported(ctx context.Context, h *Host) (string, error) {
	var given []string
	for _, o := range [][2]string{{"seuser", c.Seuser}, {"serole", c.Serole}, {"setype", c.Setype}, {"selevel", c.Selevel}} {
		if o[1] != "" {
			given = append(given, o[0])
		}
	}
	if len(given) == 0 {
		return "", nil
	}
	out, err := h.Query(ctx, Command{Shell: "command -v selinuxenabled >/dev/null && selinuxenabled"})
	if err != nil || out.RC != 0 {
		return "", err
	}
	return fmt.Sprintf("%s: ferry does not set SELinux contexts and this host has SELinux enabled (use command: chcon)", strings.Join(given, ", ")), nil
}
