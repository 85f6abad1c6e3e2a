package firewall

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

func init() { modules.Register(firewalld{}) }

// firewalld is ansible.posix's firewalld module on firewalld's own command
// lines: firewall-cmd when the daemon runs, firewall-offline-cmd (the
// on-disk zone files, as the module's offline mode) when it does not.
// Each change is decided by a --query-* probe first, so --check predicts
// it and a second run changes nothing.
type firewalld struct{}

type firewalldOptions struct {
	Service            string `opt:"service" doc:"A service firewalld knows (firewall-cmd --get-services)."`
	Port               string `opt:"port" doc:"PORT/PROTOCOL or FROM-TO/PROTOCOL (8080/tcp, 60000-61000/udp)."`
	Protocol           string `opt:"protocol" doc:"A protocol (/etc/protocols)."`
	Source             string `opt:"source" doc:"A source address or network bound to the zone (needs permanent)."`
	RichRule           string `opt:"rich_rule" doc:"A rich rule (firewalld.richlanguage)."`
	IcmpBlock          string `opt:"icmp_block" doc:"An ICMP type to block."`
	IcmpBlockInversion string `opt:"icmp_block_inversion" doc:"yes or no: invert the ICMP blocks (as state enabled) or not."`
	Masquerade         string `opt:"masquerade" doc:"yes or no: masquerade (as state enabled) or not."`
	PortForward        []any  `opt:"port_forward" doc:"One forward, {port, proto, toport, toaddr}."`
	Interface          string `opt:"interface" doc:"Not supported by ferry: fails when given (use command: firewall-cmd --change-interface)."`
	Target             string `opt:"target" choices:"default,ACCEPT,DROP,%%REJECT%%" doc:"Not supported by ferry: fails when given (use command: firewall-cmd --permanent --set-target)."`
	Zone               string `opt:"zone" doc:"The zone; default: firewalld's default zone."`
	Permanent          *bool  `opt:"permanent" doc:"Change the permanent configuration (the only one there is when the daemon is not running)."`
	Immediate          bool   `opt:"immediate" default:"false" doc:"Change the running configuration too (the default when permanent is not set)."`
	State              string `opt:"state,required" choices:"absent,disabled,enabled,present" doc:"enabled or disabled for a setting; present and absent (a zone itself) are not supported by ferry."`
	Timeout            int    `opt:"timeout" default:"0" doc:"Seconds a running (not permanent) setting lasts; 0 keeps it."`
	Offline            *bool  `opt:"offline" doc:"Accepted as Ansible does, and ignored: the module works offline whenever the daemon is not running."`
}

// fwThing is one zone setting the module manages, with firewall-cmd's
// option for it and the task's value ("" when not given).
type fwThing struct{ arg, option, value string }

// things are the zone settings in the order Ansible applies them.
func (o firewalldOptions) things() []fwThing {
	forward := "" // the list is read by portForward
	if len(o.PortForward) > 0 {
		forward = "given"
	}
	return []fwThing{
		{"icmp_block", "icmp-block", o.IcmpBlock}, {"icmp_block_inversion", "icmp-block-inversion", o.IcmpBlockInversion},
		{"service", "service", o.Service}, {"protocol", "protocol", o.Protocol}, {"source", "source", o.Source},
		{"port", "port", o.Port}, {"port_forward", "forward-port", forward},
		{"rich_rule", "rich-rule", o.RichRule}, {"interface", "interface", o.Interface},
		{"masquerade", "masquerade", o.Masquerade}, {"target", "target", o.Target},
	}
}

func (firewalld) Spec() modules.Spec {
	return modules.Spec{
		Name:    "firewalld",
		Summary: "Add or remove services, ports and other settings of a firewalld zone (running, or on disk when the daemon is not)",
		Args:    modules.OptionsOf[firewalldOptions](),
		Exclusive: [][]string{{"icmp_block", "icmp_block_inversion", "service", "protocol", "port", "port_forward", "rich_rule",
			"interface", "masquerade", "source", "target"}},
		Check: modules.CheckSupported,
	}
}

// fwItem is the one zone setting a task manages.
type fwItem struct {
	option string // firewall-cmd's name: service, port, forward-port...
	value  string // its value; "" for the switches (masquerade)
	want   string // enabled or disabled: the state the task asks for
	// changed is the message Ansible adds when the setting changed;
	// enabled and disabled, the transaction's own.
	changed, enabled, disabled string
}

// fwTask is one run: where the settings live and how to reach them.
type fwTask struct {
	ctx       context.Context
	h         *modules.Host
	o         firewalldOptions
	offline   bool
	zone      string
	permanent bool
	immediate bool
	msgs      []string
}

func (firewalld) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[firewalldOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	t := &fwTask{ctx: ctx, h: h, o: o, permanent: o.Permanent != nil && *o.Permanent, immediate: o.Immediate}
	if msg := fwArgProblem(o); msg != "" {
		return failed(msg, nil), nil
	}
	running, msg, err := t.daemon()
	if err != nil || msg != "" {
		return failed(msg, nil), err
	}
	t.offline = !running
	if !t.permanent && !t.immediate {
		t.immediate = true
	}
	if t.immediate && t.offline {
		return failed("firewall is not currently running, unable to perform immediate actions without a running firewall daemon", nil), nil
	}
	item, msg := fwItemOf(o)
	if msg != "" {
		return failed(msg, nil), nil
	}
	if item.option == "" {
		return failed("ferry's firewalld manages the settings of a zone; state "+o.State+
			" of a zone itself is not supported (use command: firewall-cmd --permanent --new-zone)", nil), nil
	}
	if t.zone, err = t.defaultZone(); err != nil {
		return modules.Result{}, err
	}
	return t.transaction(item)
}

// fwArgProblem is what Ansible's argument spec refuses beyond the
// declarations, and what ferry's module does not do.
func fwArgProblem(o firewalldOptions) string {
	switch {
	case o.Interface != "" && o.Zone == "":
		return "missing parameter(s) required by 'interface': zone"
	case o.Target != "" && o.Zone == "":
		return "missing parameter(s) required by 'target': zone"
	case o.Source != "" && o.Permanent == nil:
		return "missing parameter(s) required by 'source': permanent"
	case o.Interface != "":
		return "interface is not supported by ferry's firewalld: use command: firewall-cmd [--permanent] --zone=ZONE --change-interface=IF"
	case o.Target != "":
		return "target is not supported by ferry's firewalld: use command: firewall-cmd --permanent --zone=ZONE --set-target=TARGET"
	}
	return ""
}

// daemon reports whether firewalld is running (firewall-cmd --state), or
// why the module cannot run.
func (t *fwTask) daemon() (bool, string, error) {
	out, err := hostcmd.Query(t.ctx, t.h, `PATH="$PATH:/sbin:/usr/sbin"; command -v firewall-offline-cmd >/dev/null || exit 127; firewall-cmd --state`)
	switch {
	case err != nil:
		return false, "", err
	case out.RC == 127:
		return false, "firewalld is not installed on the host (firewall-offline-cmd is missing): install the firewalld package first", nil
	}
	return out.RC == 0, "", nil
}

// fwItemOf is the setting the arguments name, with Ansible's checks of
// its form; an empty option means none (a zone-level state).
func fwItemOf(o firewalldOptions) (fwItem, string) {
	state := o.State
	for _, th := range o.things() {
		if th.value == "" {
			continue
		}
		if state == "absent" || state == "present" {
			return fwItem{}, "absent and present state can only be used in zone level operations"
		}
		item := fwItem{option: th.option, value: th.value, want: state}
		switch th.arg {
		case "port":
			if !strings.Contains(item.value, "/") || strings.HasSuffix(item.value, "/") {
				return fwItem{}, "improper port format (missing protocol?)"
			}
			item.value = strings.TrimSpace(item.value)
		case "port_forward":
			return portForward(o.PortForward, state)
		case "masquerade", "icmp_block_inversion":
			return switchItem(th.option, item.value, state)
		case "source":
			item.enabled, item.disabled = "Added "+item.value+" to zone %s", "Removed "+item.value+" from zone %s"
			return item, ""
		}
		name := th.option
		if th.arg == "rich_rule" {
			name = th.arg
		}
		item.changed = "Changed " + name + " " + item.value + " to " + state
		return item, ""
	}
	return fwItem{}, ""
}

// switchItem is masquerade or icmp-block-inversion: its value (yes or no)
// and the state together say whether it is to be on.
func switchItem(option, value, state string) (fwItem, string) {
	on, ok := pyBool(value)
	if !ok {
		on = true // Ansible warns and takes it as true
	}
	item := fwItem{option: option, want: "enabled"}
	if (state == "enabled") != on {
		item.want = "disabled"
	}
	if option == "masquerade" {
		item.enabled, item.disabled = "Added masquerade to zone %s", "Removed masquerade from zone %s"
	} else {
		item.changed = "Changed icmp-block-inversion " + value + " to " + state
	}
	return item, ""
}

// pyBool is Ansible's boolean() of a string.
func pyBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "y", "yes", "on", "1", "true", "t":
		return true, true
	case "n", "no", "off", "0", "false", "f", "":
		return false, true
	}
	return false, false
}

func portForward(list []any, state string) (fwItem, string) {
	if len(list) > 1 {
		return fwItem{}, "Only one port forward supported at a time"
	}
	pf, _ := list[0].(map[string]any)
	for _, k := range []string{"port", "proto", "toport"} {
		if _, ok := pf[k]; !ok {
			if k == "proto" {
				return fwItem{}, "proto udp/tcp must be specified for port forward"
			}
			return fwItem{}, k + " must be specified for port forward"
		}
	}
	s := func(k string) string {
		if v, ok := pf[k]; ok && v != nil {
			return fmt.Sprint(v)
		}
		return ""
	}
	value := "port=" + s("port") + ":proto=" + s("proto") + ":toport=" + s("toport")
	if s("toaddr") != "" {
		value += ":toaddr=" + s("toaddr")
	}
	return fwItem{option: "forward-port", value: value, want: state,
		changed: "Changed port_forward port=" + s("port") + ":proto=" + s("proto") + ":toport=" + s("toport") + ":toaddr=" + s("toaddr") + " to " + state}, ""
}

// cmd is the command line that reaches the permanent or the running
// configuration.
func (t *fwTask) cmd(permanent bool) string {
	switch {
	case t.offline:
		return "firewall-offline-cmd"
	case permanent:
		return "firewall-cmd --permanent"
	}
	return "firewall-cmd"
}

func (t *fwTask) defaultZone() (string, error) {
	if z := t.o.Zone; z != "" {
		return z, nil
	}
	out, err := hostcmd.Query(t.ctx, t.h, fwPath+t.cmd(false)+" --get-default-zone")
	if err == nil && out.RC != 0 {
		err = fmt.Errorf("%s --get-default-zone: %s", t.cmd(false), strings.TrimSpace(out.Stderr+out.Stdout))
	}
	return strings.TrimSpace(out.Stdout), err
}

// fwPath puts the sbin directories on the PATH, as Ansible finds commands.
const fwPath = `PATH="$PATH:/sbin:/usr/sbin"; `

// flag is the item's option for verb (query, add, remove).
func (t *fwTask) flag(verb string, item fwItem) string {
	if item.option == "masquerade" || item.option == "icmp-block-inversion" {
		return "--" + verb + "-" + item.option
	}
	option := item.option
	if t.offline && verb == "remove" && option == "service" {
		option = "service-from-zone" // firewall-offline-cmd's --remove-service is lokkit's, for the default zone only
	}
	return "--" + verb + "-" + option + "=" + hostcmd.Quote(item.value)
}

// enabled asks firewalld whether item is set (rc 0 yes, 1 no).
func (t *fwTask) enabled(item fwItem, permanent bool) (bool, *modules.Result, error) {
	line := t.cmd(permanent) + " --zone=" + hostcmd.Quote(t.zone) + " " + t.flag("query", item)
	out, err := hostcmd.Query(t.ctx, t.h, fwPath+line)
	if err != nil {
		return false, nil, err
	}
	if out.RC > 1 {
		res := t.exception(out)
		return false, &res, nil
	}
	return out.RC == 0, nil, nil
}

// exception is Ansible's message for an error firewalld raised.
func (t *fwTask) exception(out modules.Output) modules.Result {
	text := strings.TrimSpace(out.Stderr + out.Stdout)
	text = strings.TrimPrefix(text, "Error: ")
	if !t.offline {
		// Ansible talks to the daemon over D-Bus, whose exception names itself.
		text = "org.fedoraproject.FirewallD1.Exception: " + text
	}
	msgs := t.msgs
	if strings.Contains(text, "INVALID_SERVICE") {
		msgs = append(msgs, "Services are defined by port/tcp relationship and named as they are in /etc/services (on most systems)")
	}
	msg := "ERROR: Exception caught: " + text
	if len(msgs) > 0 {
		msg += " " + strings.Join(msgs, ", ")
	}
	return failed(msg, nil)
}

// set adds or removes item in one configuration, through the gate.
func (t *fwTask) set(item fwItem, on, permanent bool) (*modules.Result, error) {
	verb := "remove"
	if on {
		verb = "add"
	}
	line := t.cmd(permanent) + " --zone=" + hostcmd.Quote(t.zone) + " " + t.flag(verb, item)
	if on && !permanent && t.o.Timeout > 0 {
		line += " --timeout=" + strconv.Itoa(t.o.Timeout)
	}
	out, err := hostcmd.Change(t.ctx, t.h, line, fwPath+line)
	if err != nil || out.RC == 0 {
		return nil, err
	}
	// As Ansible's fail_json: an error, so that the task reports no change.
	res := t.exception(out)
	return &res, errors.New(res.Msg)
}

// transaction is Ansible's FirewallTransaction.run: query each
// configuration the task names, change those that differ from the state
// wanted, and report what changed.
func (t *fwTask) transaction(item fwItem) (modules.Result, error) {
	var configs []bool // permanent?
	switch {
	case t.permanent && t.immediate:
		configs = []bool{true, false}
	case t.permanent:
		configs = []bool{true}
	default:
		configs = []bool{false}
	}
	on := item.want == "enabled"
	var differ []bool
	for _, permanent := range configs {
		is, res, err := t.enabled(item, permanent)
		if err != nil || res != nil {
			return deref(res), err
		}
		if is != on {
			differ = append(differ, permanent)
		}
	}
	t.msgs = append(t.msgs, operation(configs))
	for _, permanent := range differ {
		if res, err := t.set(item, on, permanent); err != nil || res != nil {
			return deref(res), err
		}
	}
	if t.h.Pending() {
		return modules.Result{}, nil // a dry run's plan: Ansible's check mode exits with changed alone
	}
	if len(differ) > 0 {
		t.msgs = append(t.msgs, t.changeMsgs(item, on)...)
	}
	if t.offline {
		t.msgs = append(t.msgs, "(offline operation: only on-disk configs were altered)")
	}
	return modules.Result{Data: map[string]any{"msg": strings.Join(t.msgs, ", ")}}, nil
}

// operation is Ansible's name for the configurations a task changes.
func operation(configs []bool) string {
	switch {
	case len(configs) == 2:
		return "Permanent and Non-Permanent(immediate) operation"
	case configs[0]:
		return "Permanent operation"
	}
	return "Non-permanent operation"
}

// changeMsgs are the messages of a setting that changed.
func (t *fwTask) changeMsgs(item fwItem, on bool) []string {
	var msgs []string
	if on && item.enabled != "" {
		msgs = append(msgs, fmt.Sprintf(item.enabled, t.zone))
	}
	if !on && item.disabled != "" {
		msgs = append(msgs, fmt.Sprintf(item.disabled, t.zone))
	}
	if item.changed != "" {
		msgs = append(msgs, item.changed)
	}
	return msgs
}

func deref(r *modules.Result) modules.Result {
	if r == nil {
		return modules.Result{}
	}
	return *r
}
