package sysconf

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/ferry-sh/ferry/internal/shellquote"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

func init() { modules.Register(modprobe{}) }

// modprobe is community.general.modprobe (6.6.9): a kernel module loaded or
// unloaded with modprobe, and, with persistent, its line in
// /etc/modules-load.d and its options in /etc/modprobe.d.
type modprobe struct{}

// modprobeOptions are the collection's arguments.
type modprobeOptions struct {
	Name       string `opt:"name,required" doc:"The kernel module."`
	State      string `opt:"state" default:"present" choices:"present,absent" doc:"Whether the module is loaded."`
	Params     string `opt:"params" doc:"Module parameters, as modprobe takes them (a=1 b=2)."`
	Persistent string `opt:"persistent" default:"disabled" choices:"disabled,present,absent" doc:"present: load it at boot (modules-load.d) with params (modprobe.d); absent: comment those lines out; disabled: leave them."`
}

func (modprobe) Spec() modules.Spec {
	return modules.Spec{
		Name:       "modprobe",
		Summary:    "Load or unload a kernel module, and at boot (community.general.modprobe)",
		Collection: "community.general",
		Args:       modules.OptionsOf[modprobeOptions](),
		Check:      modules.CheckSupported,
	}
}

const (
	modulesLoadDir = "/etc/modules-load.d"
	modprobeDir    = "/etc/modprobe.d"
)

// modprobeTask is one task with the collection's patterns for its module.
type modprobeTask struct {
	o                      modprobeOptions
	h                      *modules.Host
	findModule, findParams *regexp.Regexp
	getParams              *regexp.Regexp
}

func newModprobeTask(h *modules.Host, o modprobeOptions) modprobeTask {
	n := regexp.QuoteMeta(o.Name)
	return modprobeTask{o: o, h: h,
		findModule: regexp.MustCompile(`^ *` + n + ` *(?:[#;].*)?\n?\z`),
		findParams: regexp.MustCompile(`^options ` + n + ` \w+=\S+ *(?:[#;].*)?\n?\z`),
		getParams:  regexp.MustCompile(`^options ` + n + ` (\w+=\S+) *(?:[#;].*)?\n?\z`)}
}

func (modprobe) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[modprobeOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	t := newModprobeTask(h, o)
	extra, err := t.run(ctx)
	data := map[string]any{"name": o.Name, "params": o.Params, "state": o.State}
	for k, v := range extra {
		data[k] = v
	}
	return modules.Result{Data: data}, err
}

// run is the collection's main; extra holds a failed command's rc, stdout
// and stderr.
func (t *modprobeTask) run(ctx context.Context) (map[string]any, error) {
	loaded, err := t.loaded(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case t.o.State == "present" && !loaded:
		if extra, err := t.load(ctx); err != nil {
			return extra, err
		}
	case t.o.State == "absent" && loaded:
		if extra, err := t.modprobe(ctx, "unload "+t.o.Name, "-r", t.o.Name); err != nil {
			return extra, err
		}
	}
	return nil, t.persist(ctx)
}

// modprobe runs modprobe with words: modprobe's own dry run (-n) first, as
// a probe (the collection's check mode runs it, and its failure is the
// task's), then the command itself through the gate.
func (t *modprobeTask) modprobe(ctx context.Context, what string, words ...string) (map[string]any, error) {
	args := hostcmd.Quote(words...)
	out, err := hostcmd.Query(ctx, t.h, "modprobe -n "+args)
	if err == nil && out.RC == 0 {
		out, err = hostcmd.Change(ctx, t.h, what, "modprobe "+args)
	}
	if err != nil || out.RC == 0 {
		return nil, err
	}
	return map[string]any{"rc": out.RC, "stdout": out.Stdout, "stderr": out.Stderr,
		"stdout_lines": lines(out.Stdout), "stderr_lines": lines(out.Stderr)}, errString(out.Stderr)
}

// lines is Ansible's *_lines of a command's output.
func lines(s string) []string {
	out := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if s == "" {
		out = []string{}
	}
	return out
}

// load is the collection's load_module.
func (t *modprobeTask) load(ctx context.Context) (map[string]any, error) {
	params, err := shellquote.Split(t.o.Params)
	if err != nil {
		return nil, err
	}
	return t.modprobe(ctx, "load "+t.o.Name, append([]string{t.o.Name}, params...)...)
}

// loaded is the collection's module_loaded: the module in /proc/modules,
// else built into the kernel (modules.builtin); a file that cannot be read
// fails the task with Python's message.
func (t *modprobeTask) loaded(ctx context.Context) (bool, error) {
	out, err := hostcmd.Query(ctx, t.h, `read_or_say() { if [ -r "$1" ]; then cat "$1"; elif [ -e "$1" ]; then echo "[Errno 13] Permission denied: '$1'" >&2; exit 1; else echo "[Errno 2] No such file or directory: '$1'" >&2; exit 1; fi; }
read_or_say /proc/modules; echo ---; read_or_say "/lib/modules/$(uname -r)/modules.builtin"`)
	if err != nil {
		return false, err
	}
	procModules, builtin, _ := strings.Cut(out.Stdout, "---\n")
	prefix := strings.ReplaceAll(t.o.Name, "-", "_") + " "
	for _, l := range strings.Split(procModules, "\n") {
		if strings.HasPrefix(l, prefix) {
			return true, nil
		}
	}
	if out.RC != 0 {
		return false, errString(strings.TrimSpace(out.Stderr))
	}
	for _, l := range strings.Split(builtin, "\n") {
		if strings.HasSuffix(strings.TrimRight(l, " \t\r"), "/"+t.o.Name+".ko") {
			return true, nil
		}
	}
	return false, nil
}

// confFile is one file of a configuration directory, as lines with their
// newlines.
type confFile struct {
	path  string
	lines []string
}

// confFiles reads the regular files of dir.
func (t *modprobeTask) confFiles(ctx context.Context, dir string) ([]confFile, error) {
	out, err := hostcmd.Query(ctx, t.h, `cd `+hostcmd.Quote(dir)+` || exit 1; for f in * .[!.]* ..?*; do [ -f "$f" ] || continue; printf '%s/%s\0' `+hostcmd.Quote(dir)+` "$f"; cat "$f"; printf '\0'; done`)
	if err != nil {
		return nil, err
	}
	if out.RC != 0 {
		return nil, errString(fmt.Sprintf("[Errno 2] No such file or directory: '%s'", dir))
	}
	parts := strings.Split(out.Stdout, "\x00")
	var files []confFile
	for i := 0; i+1 < len(parts); i += 2 {
		files = append(files, confFile{path: parts[i], lines: strings.SplitAfter(parts[i+1], "\n")})
	}
	return files, nil
}

// matching reports whether a line of the files matches re.
func matching(files []confFile, re *regexp.Regexp) bool {
	for _, f := range files {
		if slices.ContainsFunc(f.lines, func(l string) bool { return l != "" && re.MatchString(l) }) {
			return true
		}
	}
	return false
}

// permanentParams is the set of name=value options the files give.
func (t *modprobeTask) permanentParams(files []confFile) map[string]bool {
	set := map[string]bool{}
	for _, f := range files {
		for _, l := range f.lines {
			if m := t.getParams.FindStringSubmatch(l); m != nil {
				set[m[1]] = true
			}
		}
	}
	return set
}

func (t *modprobeTask) paramsSet(files []confFile) bool {
	want := map[string]bool{}
	for _, p := range strings.Fields(t.o.Params) {
		want[p] = true
	}
	have := t.permanentParams(files)
	return maps.Equal(want, have)
}

// persist is the collection's persistent handling.
func (t *modprobeTask) persist(ctx context.Context) error {
	if t.o.Persistent == "disabled" {
		return nil
	}
	loadFiles, err := t.confFiles(ctx, modulesLoadDir)
	if err != nil {
		return err
	}
	optFiles, err := t.confFiles(ctx, modprobeDir)
	if err != nil {
		return err
	}
	inLoad := matching(loadFiles, t.findModule)
	switch {
	case t.o.Persistent == "present" && !(inLoad && t.paramsSet(optFiles)):
		if !inLoad {
			if err := t.write(ctx, modulesLoadDir+"/"+t.o.Name+".conf", t.o.Name+"\n"); err != nil {
				return err
			}
		}
		if !t.paramsSet(optFiles) {
			if err := t.commentOut(ctx, optFiles, t.findParams); err != nil {
				return err
			}
			return t.write(ctx, modprobeDir+"/"+t.o.Name+".conf", t.optionsContent())
		}
	case t.o.Persistent == "absent" && (inLoad || len(t.permanentParams(optFiles)) > 0):
		if err := t.commentOut(ctx, loadFiles, t.findModule); err != nil {
			return err
		}
		return t.commentOut(ctx, optFiles, t.findParams)
	}
	return nil
}

func (t *modprobeTask) optionsContent() string {
	var lines []string
	for _, p := range strings.Fields(t.o.Params) {
		lines = append(lines, "options "+t.o.Name+" "+p)
	}
	return strings.Join(lines, "\n") + "\n"
}

// commentOut puts # before every matching line of the files; a file it
// changed is written back with its lines joined by a newline, as the
// collection does (each line keeps its own: the file gains blank lines).
func (t *modprobeTask) commentOut(ctx context.Context, files []confFile, re *regexp.Regexp) error {
	for _, f := range files {
		lines, changed := slices.Clone(f.lines), false
		if len(lines) > 0 && lines[len(lines)-1] == "" {
			lines = lines[:len(lines)-1]
		}
		for i, l := range lines {
			if re.MatchString(l) {
				lines[i], changed = "#"+l, true
			}
		}
		if changed {
			if err := t.write(ctx, f.path, strings.Join(lines, "\n")); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t *modprobeTask) write(ctx context.Context, path, content string) error {
	_, _, err := modules.WriteContent(ctx, t.h, modules.ContentWrite{Path: path, Content: []byte(content)})
	return err
}
