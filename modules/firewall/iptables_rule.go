package firewall

import "strings"

// ruleWords builds a rule's words in the order iptables.py's construct_rule
// emits them: `iptables -C` finds a rule only as it was written, so the
// order is part of idempotency.
type ruleWords []string

// param is append_param: "!" before the flag for a negated value.
func (r *ruleWords) param(value, flag string) {
	switch {
	case value == "":
	case value[0] == '!':
		*r = append(*r, "!", flag, value[1:])
	default:
		*r = append(*r, flag, value)
	}
}

// match is append_match: -m name when the value is given.
func (r *ruleWords) match(given bool, name string) {
	if given {
		*r = append(*r, "-m", name)
	}
}

// csv is append_csv: the values joined by commas.
func (r *ruleWords) csv(values []string, flag string) {
	if len(values) > 0 {
		*r = append(*r, flag, strings.Join(values, ","))
	}
}

// matchFlag is append_match_flag: the flag alone for "match", "! flag"
// for "negate".
func (r *ruleWords) matchFlag(value, flag string) {
	switch value {
	case "match":
		*r = append(*r, flag)
	case "negate":
		*r = append(*r, "!", flag)
	}
}

var icmpTypeFlags = map[string]string{"ipv4": "--icmp-type", "ipv6": "--icmpv6-type"}

// rule is construct_rule.
func (o iptablesOptions) rule() []string {
	r := &ruleWords{}
	r.param(o.Wait, "-w")
	r.param(o.Protocol, "-p")
	r.param(o.Source, "-s")
	r.param(o.Destination, "-d")
	for _, m := range o.Match {
		r.param(m, "-m")
	}
	if o.TCPFlags != nil && o.TCPFlags.Flags != nil && o.TCPFlags.FlagsSet != nil {
		*r = append(*r, "--tcp-flags", strings.Join(o.TCPFlags.Flags, ","), strings.Join(o.TCPFlags.FlagsSet, ","))
	}
	r.param(o.Jump, "-j")
	if strings.ToLower(o.Jump) == "tee" {
		r.param(o.Gateway, "--gateway")
	}
	r.param(o.LogPrefix, "--log-prefix")
	r.param(o.LogLevel, "--log-level")
	r.param(o.ToDestination, "--to-destination")
	r.match(len(o.DestPorts) > 0, "multiport")
	r.csv(o.DestPorts, "--dports")
	r.param(o.ToSource, "--to-source")
	r.param(o.Goto, "-g")
	r.param(o.InInterface, "-i")
	r.param(o.OutInterface, "-o")
	r.param(o.Fragment, "-f")
	r.param(o.SetCounters, "-c")
	r.param(o.SourcePort, "--source-port")
	r.param(o.DestinationPort, "--destination-port")
	r.param(o.ToPorts, "--to-ports")
	r.param(o.SetDSCPMark, "--set-dscp")
	r.param(o.SetDSCPClass, "--set-dscp-class")
	r.matchFlag(o.Syn, "--syn")
	o.stateWords(r)
	o.rangeWords(r)
	o.setWords(r)
	r.match(o.Limit != "" || o.LimitBurst != "", "limit")
	r.param(o.Limit, "--limit")
	r.param(o.LimitBurst, "--limit-burst")
	for _, owner := range [][2]string{{o.UIDOwner, "--uid-owner"}, {o.GIDOwner, "--gid-owner"}} {
		r.match(owner[0] != "", "owner")
		r.matchFlag(owner[0], owner[1])
		r.param(owner[0], owner[1])
	}
	if o.Jump == "" && o.RejectWith != "" {
		*r = append(*r, "-j", "REJECT")
	}
	r.param(o.RejectWith, "--reject-with")
	r.param(o.ICMPType, icmpTypeFlags[o.IPVersion])
	r.match(o.Comment != "", "comment")
	r.param(o.Comment, "--comment")
	return *r
}

func (o iptablesOptions) matches(name string) bool {
	for _, m := range o.Match {
		if m == name {
			return true
		}
	}
	return false
}

// stateWords: ctstate through the conntrack or state match given, or
// conntrack's own.
func (o iptablesOptions) stateWords(r *ruleWords) {
	switch {
	case o.matches("conntrack"):
		r.csv(o.CTState, "--ctstate")
	case o.matches("state"):
		r.csv(o.CTState, "--state")
	case len(o.CTState) > 0:
		r.match(true, "conntrack")
		r.csv(o.CTState, "--ctstate")
	}
}

// rangeWords: src_range and dst_range through the iprange match.
func (o iptablesOptions) rangeWords(r *ruleWords) {
	if !o.matches("iprange") {
		r.match(o.SrcRange != "" || o.DstRange != "", "iprange")
	}
	r.param(o.SrcRange, "--src-range")
	r.param(o.DstRange, "--dst-range")
}

// setWords: match_set through the set match, its flags after it.
func (o iptablesOptions) setWords(r *ruleWords) {
	if !o.matches("set") {
		r.match(o.MatchSet != "", "set")
	}
	r.param(o.MatchSet, "--match-set")
	if o.MatchSetFlags != "" && (o.MatchSet != "" || o.matches("set")) {
		*r = append(*r, o.MatchSetFlags)
	}
}
