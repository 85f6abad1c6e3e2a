// Package sysconf holds modules that set a system's identity, schedule,
// kernel settings and mounts: hostname and cron, as ansible-core 2.14's;
// sysctl and mount (ansible.posix 1.5.4), timezone and modprobe
// (community.general 6.6.9), as the collections Ansible 7 shipped beside it.
package sysconf

import (
	"context"
	"strconv"
	"strings"

	"github.com/ferry-sh/ferry/internal/keyorder"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

func init() { modules.Register(hostname{}) }

// hostname is Ansible's hostname module for Linux: hostnamectl on a host
// booted with systemd, else /etc/hostname on the Debian family (Ansible's
// FileStrategy, which leaves the running hostname alone).
type hostname struct{}

type hostnameOptions struct {
	Name string `opt:"name,required" doc:"The hostname."`
	Use  string `opt:"use" choices:"alpine,debian,freebsd,generic,macos,macosx,darwin,openbsd,openrc,redhat,sles,solaris,systemd" doc:"The strategy: systemd (or debian, as Ansible maps it) uses hostnamectl. Default: systemd when the host runs it, else /etc/hostname on the Debian family. ferry supports no other strategy: they fail."`
}

func (hostname) Spec() modules.Spec {
	return modules.Spec{
		Name:    "hostname",
		Returns: []string{"changed", "name", "ansible_facts", "diff"}, // the order of Ansible's result
		Summary: "Set the system's hostname (hostnamectl, or /etc/hostname without systemd)",
		Args:    modules.OptionsOf[hostnameOptions](),
		Check:   modules.CheckSupported,
	}
}

// strategy reads and writes the running and the permanent hostname.
type strategy interface {
	current(ctx context.Context) (string, error)
	permanent(ctx context.Context) (string, error)
	setCurrent(ctx context.Context, name string) error
	setPermanent(ctx context.Context, name string) error
}

func (hostname) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[hostnameOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	name := o.Name
	s, msg, err := pickStrategy(ctx, h, o.Use)
	if err != nil || msg != "" {
		return failedResult(msg), err
	}
	cur, err := s.current(ctx)
	if err != nil {
		return modules.Result{}, err
	}
	perm, err := s.permanent(ctx)
	if err != nil {
		return modules.Result{}, err
	}
	// systemd's order: the permanent name first (NetworkManager complains
	// otherwise); the file strategy's running name is the file's.
	if perm != name {
		if err := s.setPermanent(ctx, name); err != nil {
			return modules.Result{}, err
		}
	}
	if _, isFile := s.(fileStrategy); !isFile && cur != name {
		if err := s.setCurrent(ctx, name); err != nil {
			return modules.Result{}, err
		}
	}
	before := perm
	if name != cur {
		before = cur
	}
	fqdn, err := fqdn(ctx, h)
	if err != nil {
		return modules.Result{}, err
	}
	domain := ""
	if _, d, ok := strings.Cut(fqdn, "."); ok {
		domain = d
	}
	short, _, _ := strings.Cut(name, ".")
	facts := map[string]any{"ansible_hostname": short, "ansible_nodename": name, "ansible_fqdn": fqdn, "ansible_domain": domain}
	res := modules.Result{Data: map[string]any{"name": name, "ansible_facts": facts}, Facts: facts}
	if cur != name || perm != name {
		res.Diffs = []modules.Diff{{Before: "hostname = " + before + "\n", After: "hostname = " + name + "\n"}}
		diff := map[string]any{"after": res.Diffs[0].After, "before": res.Diffs[0].Before} // registered even without --diff
		keyorder.Set(diff, []string{"after", "before"})
		res.Data["diff"] = diff
	}
	return res, nil
}

func failedResult(msg string) modules.Result {
	return modules.Result{Failed: true, Msg: msg, Data: map[string]any{"msg": msg}}
}

// pickStrategy is Ansible's choice: use when given, else systemd when the
// host is managed by it, else the file on the Debian family.
func pickStrategy(ctx context.Context, h *modules.Host, use string) (strategy, string, error) {
	out, err := hostcmd.Query(ctx, h, "test -d /run/systemd/system && echo systemd; test -f /etc/debian_version && echo debian; uname -s")
	if err != nil {
		return nil, "", err
	}
	have := strings.Fields(out.Stdout)
	switch {
	case use == "systemd" || use == "debian" || use == "" && contains(have, "systemd"):
		return systemdStrategy{h}, "", nil
	case use == "" && contains(have, "debian"):
		return fileStrategy{h}, "", nil
	case use != "":
		return nil, "ferry's hostname has no " + use + " strategy (systemd and debian only)", nil
	}
	return nil, "hostname module cannot be used on platform " + have[len(have)-1], nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// fqdn is Python's socket.getfqdn() on the host: the first name with a dot
// among those the host's resolver gives its hostname, else the hostname.
func fqdn(ctx context.Context, h *modules.Host) (string, error) {
	out, err := hostcmd.Query(ctx, h, `n=$(hostname); echo "$n"; getent hosts "$n" || true`)
	if err != nil {
		return "", err
	}
	f := strings.Fields(out.Stdout)
	if len(f) == 0 {
		return "", nil
	}
	for _, name := range f[1:] {
		if strings.Contains(name, ".") && !strings.ContainsAny(name, ":") && strings.Trim(name, "0123456789.") != "" {
			return name, nil
		}
	}
	return f[0], nil
}

type fileStrategy struct{ h *modules.Host }

const hostnameFile = "/etc/hostname"

func (s fileStrategy) current(ctx context.Context) (string, error) { return s.permanent(ctx) }

func (s fileStrategy) permanent(ctx context.Context) (string, error) {
	info, err := modules.StatPath(ctx, s.h, hostnameFile, true)
	if err != nil || !info.Exists || info.Type != "file" {
		return "", err
	}
	data, err := modules.ReadFile(ctx, s.h, hostnameFile, 4096)
	return strings.TrimSpace(string(data)), err
}

func (s fileStrategy) setCurrent(context.Context, string) error { return nil }

func (s fileStrategy) setPermanent(ctx context.Context, name string) error {
	_, _, err := modules.WriteContent(ctx, s.h, modules.ContentWrite{Path: hostnameFile, Content: []byte(name + "\n")})
	return err
}

type systemdStrategy struct{ h *modules.Host }

func (s systemdStrategy) status(ctx context.Context, which string) (string, error) {
	out, err := hostcmd.Query(ctx, s.h, "hostnamectl --"+which+" status")
	if err == nil && out.RC != 0 {
		err = commandFailed(out)
	}
	return strings.TrimSpace(out.Stdout), err
}

func (s systemdStrategy) current(ctx context.Context) (string, error) {
	return s.status(ctx, "transient")
}
func (s systemdStrategy) permanent(ctx context.Context) (string, error) {
	return s.status(ctx, "static")
}

func (s systemdStrategy) set(ctx context.Context, flags, name string) error {
	if len(name) > 64 {
		return errString("name cannot be longer than 64 characters on systemd servers, try a shorter name")
	}
	line := "hostnamectl " + flags + " set-hostname " + hostcmd.Quote(name)
	out, err := hostcmd.Change(ctx, s.h, line, line)
	if err == nil && out.RC != 0 {
		err = commandFailed(out)
	}
	return err
}

func (s systemdStrategy) setCurrent(ctx context.Context, name string) error {
	return s.set(ctx, "--transient", name)
}

func (s systemdStrategy) setPermanent(ctx context.Context, name string) error {
	return s.set(ctx, "--pretty --static", name)
}

type errString string

func (e errString) Error() string { return string(e) }

func commandFailed(out modules.Output) error {
	return errString("Command failed rc=" + strconv.Itoa(out.RC) + ", out=" + out.Stdout + ", err=" + out.Stderr)
}
