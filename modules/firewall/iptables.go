package firewall

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

func init() { modules.Register(iptables{}) }

// iptables is ansible-core 2.14's iptables module: one rule, a chain's
// policy, a flush or a chain, through the iptables (ip6tables) command.
// Whether a rule is there is iptables' own answer to `-C` with the rule
// built as iptables.py builds it (the flags' order included), so --check
// predicts what the real run does and a second run changes nothing.
type iptables struct{}

func (iptables) Spec() modules.Spec {
	return modules.Spec{
		Name:      "iptables",
		Summary:   "Manage one iptables (or ip6tables) rule, a chain's policy, a flush or a user chain",
		Args:      modules.OptionsOf[iptablesOptions](),
		Exclusive: [][]string{{"set_dscp_mark", "set_dscp_mark_class"}, {"flush", "policy"}},
		Rules:     iptablesRules,
		Check:     modules.CheckSupported,
		Returns:   []string{"changed", "failed", "ip_version", "table", "chain", "flush", "rule", "state", "chain_management"},
	}
}

// iptablesOptions are iptables.py's options; an empty string is Python's
// None (the module builds nothing from it).
type iptablesOptions struct {
	Table           string    `opt:"table" default:"filter" choices:"filter,nat,mangle,raw,security" doc:"The table the chain is in."`
	State           string    `opt:"state" default:"present" choices:"absent,present" doc:"Whether the rule should be there; absent without a rule is about the chain (see chain_management)."`
	Action          string    `opt:"action" default:"append" choices:"append,insert" doc:"Where a missing rule goes: the chain's end, or its start (or rule_num)."`
	IPVersion       string    `opt:"ip_version" default:"ipv4" choices:"ipv4,ipv6" doc:"iptables or ip6tables."`
	Chain           string    `opt:"chain" doc:"The chain (INPUT, OUTPUT, FORWARD, PREROUTING, POSTROUTING... or a user chain)."`
	RuleNum         string    `opt:"rule_num" doc:"With action insert: the position to insert at."`
	Protocol        string    `opt:"protocol" doc:"-p: tcp, udp, icmp, all... (! negates)."`
	Wait            string    `opt:"wait" doc:"-w: seconds to wait for the xtables lock (iptables 1.6.0 and later)."`
	Source          string    `opt:"source" doc:"-s: source address or network (! negates)."`
	ToSource        string    `opt:"to_source" doc:"--to-source, for SNAT."`
	Destination     string    `opt:"destination" doc:"-d: destination address or network (! negates)."`
	ToDestination   string    `opt:"to_destination" doc:"--to-destination, for DNAT."`
	Match           []string  `opt:"match" doc:"-m: match extensions, in order (state, conntrack, iprange, set, comment...)."`
	TCPFlags        *tcpFlags `opt:"tcp_flags" doc:"--tcp-flags: the flags examined and those set."`
	Jump            string    `opt:"jump" doc:"-j: the target (ACCEPT, DROP, REJECT, LOG, a user chain...)."`
	Gateway         string    `opt:"gateway" doc:"--gateway, for the TEE target."`
	LogPrefix       string    `opt:"log_prefix" doc:"--log-prefix (jump LOG, the default then)."`
	LogLevel        string    `opt:"log_level" choices:"0,1,2,3,4,5,6,7,emerg,alert,crit,error,warning,notice,info,debug" doc:"--log-level (jump LOG, the default then)."`
	Goto            string    `opt:"goto" doc:"-g: continue in this user chain."`
	InInterface     string    `opt:"in_interface" doc:"-i: the incoming interface (! negates)."`
	OutInterface    string    `opt:"out_interface" doc:"-o: the outgoing interface (! negates)."`
	Fragment        string    `opt:"fragment" doc:"-f: second and further fragments."`
	SetCounters     string    `opt:"set_counters" doc:"-c: the packet and byte counters to set."`
	SourcePort      string    `opt:"source_port" doc:"--source-port (needs protocol tcp or udp)."`
	DestinationPort string    `opt:"destination_port" doc:"--destination-port (needs protocol tcp or udp)."`
	DestPorts       []string  `opt:"destination_ports" doc:"-m multiport --dports: several ports or ranges."`
	ToPorts         string    `opt:"to_ports" doc:"--to-ports, for REDIRECT and MASQUERADE."`
	SetDSCPMark     string    `opt:"set_dscp_mark" doc:"--set-dscp (jump DSCP)."`
	SetDSCPClass    string    `opt:"set_dscp_mark_class" doc:"--set-dscp-class (jump DSCP)."`
	Comment         string    `opt:"comment" doc:"-m comment --comment: a comment kept with the rule."`
	CTState         []string  `opt:"ctstate" doc:"--ctstate (conntrack, or --state with match state): NEW, ESTABLISHED, RELATED, INVALID..."`
	SrcRange        string    `opt:"src_range" doc:"-m iprange --src-range."`
	DstRange        string    `opt:"dst_range" doc:"-m iprange --dst-range."`
	MatchSet        string    `opt:"match_set" doc:"-m set --match-set: an ipset."`
	MatchSetFlags   string    `opt:"match_set_flags" doc:"The match_set's direction flags: src, dst, src,dst or dst,src."`
	Limit           string    `opt:"limit" doc:"-m limit --limit: average rate (5/sec)."`
	LimitBurst      string    `opt:"limit_burst" doc:"-m limit --limit-burst."`
	UIDOwner        string    `opt:"uid_owner" doc:"-m owner --uid-owner (OUTPUT; ! negates)."`
	GIDOwner        string    `opt:"gid_owner" doc:"-m owner --gid-owner (OUTPUT; ! negates)."`
	RejectWith      string    `opt:"reject_with" doc:"--reject-with (jump REJECT, the default then)."`
	ICMPType        string    `opt:"icmp_type" doc:"--icmp-type (--icmpv6-type with ipv6)."`
	Syn             string    `opt:"syn" default:"ignore" choices:"ignore,match,negate" doc:"--syn: match (or, negate, exclude) TCP SYN packets."`
	Flush           bool      `opt:"flush" default:"false" doc:"Flush the chain (every chain of the table without one); always reports changed."`
	Policy          string    `opt:"policy" choices:"ACCEPT,DROP,QUEUE,RETURN" doc:"Set the chain's policy."`
	ChainManagement bool      `opt:"chain_management" default:"false" doc:"Create the chain for a rule when missing; with state absent and no rule, delete it."`
}

// tcpFlags is the tcp_flags mapping.
type tcpFlags struct {
	Flags    []string `opt:"flags" doc:"The flags examined (SYN,ACK,FIN,RST,URG,PSH,ALL,NONE)."`
	FlagsSet []string `opt:"flags_set" doc:"Those of them that must be set."`
}

// OptionChecks: match_set_flags' choices hold commas, which a choices tag
// cannot.
func (iptablesOptions) OptionChecks() map[string]func(v any) error {
	return map[string]func(v any) error{"match_set_flags": func(v any) error {
		switch v {
		case "src", "dst", "src,dst", "dst,src":
			return nil
		}
		return errors.New("must be one of: src, dst, src,dst, dst,src")
	}}
}

// iptablesRules are iptables.py's own checks of its arguments, made before
// the run: its required_if, the chain or flush it needs, and the LOG
// target its log options imply.
var iptablesRules = []modules.Rule{
	{Args: []string{"jump", "gateway"}, Check: func(a modules.Args) error {
		if j, _ := a["jump"].(string); (j == "TEE" || j == "tee") && a["gateway"] == nil {
			return errors.New("jump is " + j + " but all of the following are missing: gateway")
		}
		return nil
	}},
	{Args: []string{"chain", "flush"}, Check: func(a modules.Args) error {
		if a["chain"] == nil && a["flush"] != true {
			return errors.New("Either chain or flush parameter must be specified.")
		}
		return nil
	}},
	{Args: []string{"jump", "log_prefix", "log_level"}, Check: func(a modules.Args) error {
		if j, ok := a["jump"].(string); ok && j != "LOG" && (a["log_prefix"] != nil || a["log_level"] != nil) {
			return errors.New("Logging options can only be used with the LOG jump target.")
		}
		return nil
	}},
}

// iptablesBins are the commands of the two IP versions.
var iptablesBins = map[string]string{"ipv4": "iptables", "ipv6": "ip6tables"}

// iptablesRun is one task.
type iptablesRun struct {
	ctx context.Context
	h   *modules.Host
	o   iptablesOptions
	bin string
}

func (iptables) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[iptablesOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	data := map[string]any{"ip_version": o.IPVersion, "table": o.Table, "chain": nilIfEmpty(o.Chain), "flush": o.Flush,
		"rule": strings.Join(o.rule(), " "), "state": o.State, "chain_management": o.ChainManagement}
	r := &iptablesRun{ctx: ctx, h: h, o: o}
	path, searched, err := hostcmd.BinPath(ctx, h, iptablesBins[o.IPVersion])
	if err != nil || path == "" {
		return failed(hostcmd.MissingBin(iptablesBins[o.IPVersion], searched), nil), err
	}
	r.bin = path
	if (o.LogPrefix != "" || o.LogLevel != "") && o.Jump == "" {
		r.o.Jump = "LOG" // after the result's rule, as iptables.py sets it
	}
	if res, err := r.adjustWait(); err != nil || res.Failed {
		return res, err
	}
	res, err := r.converge(data["rule"] != "")
	if err != nil || res.Failed {
		return res, err
	}
	return modules.Result{Data: data}, nil
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// adjustWait keeps wait only where iptables takes -w with seconds (1.6.0
// and later), as iptables.py does after reading `iptables --version`.
func (r *iptablesRun) adjustWait() (modules.Result, error) {
	argv := []string{r.bin, "--version"}
	out, err := r.query(argv)
	if err != nil || out.RC != 0 {
		return r.checkRC(out, argv, err)
	}
	_, version, _ := strings.Cut(out.Stdout, "v")
	version, _, _ = strings.Cut(version, "v")
	if looseLess(version, "1.6.0") {
		r.o.Wait = ""
	}
	return modules.Result{}, nil
}

// looseLess is LooseVersion(a) < LooseVersion(b) for versions whose
// leading components are numbers (the rest is compared as present or not).
func looseLess(a, b string) bool {
	as, bs := versionNumbers(a), versionNumbers(b)
	for i := 0; i < len(as) && i < len(bs); i++ {
		if as[i] != bs[i] {
			return as[i] < bs[i]
		}
	}
	return len(as) < len(bs)
}

func versionNumbers(v string) []int {
	var out []int
	for _, part := range strings.Split(strings.TrimSpace(v), ".") {
		digits := part
		if i := strings.IndexFunc(part, func(c rune) bool { return c < '0' || c > '9' }); i >= 0 {
			digits = part[:i]
		}
		n, err := strconv.Atoi(digits)
		if err != nil {
			break
		}
		out = append(out, n)
		if digits != part {
			break
		}
	}
	return out
}

// converge is iptables.py's decision: flush, policy, the chain (state
// absent without a rule), or the rule.
func (r *iptablesRun) converge(hasRule bool) (modules.Result, error) {
	switch {
	case r.o.Flush:
		return r.change(r.command("-F", false))
	case r.o.Policy != "":
		return r.policy()
	case r.o.State == "absent" && !hasRule:
		return r.removeChain()
	}
	return r.rule()
}

// command is push_arguments: the table, the action on the chain (rule_num
// after -I), the rule when makeRule.
func (r *iptablesRun) command(action string, makeRule bool) []string {
	argv := []string{r.bin, "-t", r.o.Table, action}
	if r.o.Chain != "" {
		argv = append(argv, r.o.Chain)
	}
	if action == "-I" && r.o.RuleNum != "" {
		argv = append(argv, r.o.RuleNum)
	}
	if makeRule {
		argv = append(argv, r.o.rule()...)
	}
	return argv
}

func (r *iptablesRun) query(argv []string) (modules.Output, error) {
	return hostcmd.Query(r.ctx, r.h, hostcmd.Quote(argv...))
}

// checkRC is run_command's check_rc failure (or the transport's error).
func (r *iptablesRun) checkRC(out modules.Output, argv []string, err error) (modules.Result, error) {
	if err != nil {
		return modules.Result{}, err
	}
	return hostcmd.CheckRC(out, argv)
}

// change runs a command that changes the rules, through the gate (a plan
// line in check mode); a failure is check_rc's.
func (r *iptablesRun) change(argv ...[]string) (modules.Result, error) {
	var out modules.Output
	var failedArgv []string
	what := strings.TrimPrefix(hostcmd.Quote(argv[len(argv)-1]...), r.bin+" ")
	err := r.h.Change(iptablesBins[r.o.IPVersion]+" "+what, func(w modules.Writer) error {
		for _, a := range argv {
			var err error
			if out, err = hostcmd.Write(r.ctx, w, r.h, hostcmd.Quote(a...), nil); err != nil || out.RC != 0 {
				failedArgv = a
				return err
			}
		}
		return nil
	})
	if err != nil || failedArgv != nil {
		return r.checkRC(out, failedArgv, err)
	}
	return modules.Result{}, nil
}

// policy sets the chain's policy when it differs; the current one is the
// header of `iptables -L chain`.
func (r *iptablesRun) policy() (modules.Result, error) {
	argv := r.command("-L", false)
	out, err := r.query(argv)
	if err != nil || out.RC != 0 {
		return r.checkRC(out, argv, err)
	}
	header, _, _ := strings.Cut(out.Stdout, "\n")
	current := chainPolicy.FindStringSubmatch(header)
	if current == nil {
		return failed("Can't detect current policy", nil), errors.New("Can't detect current policy")
	}
	if current[1] == r.o.Policy {
		return modules.Result{}, nil
	}
	return r.change(append(r.command("-P", false), r.o.Policy))
}

var chainPolicy = regexp.MustCompile(`\(policy ([A-Z]+)\)`)

// chainPresent is `iptables -L chain` succeeding.
func (r *iptablesRun) chainPresent() (bool, error) {
	out, err := r.query(r.command("-L", false))
	return err == nil && out.RC == 0, err
}

// removeChain is state absent without a rule: the task reports a chain
// that is there as changed, and deletes it only with chain_management (as
// iptables.py: without it, it changes nothing and says changed).
func (r *iptablesRun) removeChain() (modules.Result, error) {
	present, err := r.chainPresent()
	if err != nil || !present {
		return modules.Result{}, err
	}
	if !r.o.ChainManagement {
		r.h.Report("chain " + r.o.Chain + " is there (chain_management is off: it stays)")
		return modules.Result{}, nil
	}
	return r.change(r.command("-X", false))
}

// rule adds or removes the rule when `iptables -C` says it is not as
// asked, creating its chain first with chain_management.
func (r *iptablesRun) rule() (modules.Result, error) {
	out, err := r.query(r.command("-C", true))
	if err != nil {
		return modules.Result{}, err
	}
	present := out.RC == 0
	if present == (r.o.State == "present") {
		return modules.Result{}, nil
	}
	if present {
		return r.change(r.command("-D", true))
	}
	add := r.command("-A", true)
	if r.o.Action == "insert" {
		add = r.command("-I", true)
	}
	chain, err := r.chainPresent()
	if err != nil {
		return modules.Result{}, err
	}
	if !chain && r.o.ChainManagement {
		return r.change(r.command("-N", false), add)
	}
	return r.change(add)
}
