package conn

import (
	"fmt"
	"strings"

	"github.com/ferry-sh/ferry/internal/shellquote"
	"github.com/ferry-sh/ferry/modules"
)

// sshAliases are the names ansible-core 2.14's ssh plugin reads for one
// setting, the one that wins first (the ansible_ssh_ name, in both the
// plugin's options and PlayContext's MAGIC_VARIABLE_MAPPING), then the
// name the rest of this file reads.
var sshAliases = [][]string{
	{"ansible_ssh_host", "ansible_host"},
	{"ansible_ssh_port", "ansible_port"},
	{"ansible_ssh_user", "ansible_user"},
	{"ansible_ssh_private_key_file", "ansible_private_key_file"},
	{"ansible_ssh_password", "ansible_ssh_pass", "ansible_password"},
	{"ansible_ssh_timeout", "ansible_timeout"},
}

// withAliases gives the last name of each alias group the value of the
// first name set, in a copy of vars.
func withAliases(vars map[string]any) map[string]any {
	out := make(map[string]any, len(vars))
	for k, v := range vars {
		out[k] = v
	}
	for _, names := range sshAliases {
		for _, n := range names {
			if v, ok := vars[n]; ok && v != nil {
				out[names[len(names)-1]] = v
				break
			}
		}
	}
	return out
}

// sshArgVars hold arguments for OpenSSH's ssh, which 2.14's plugin passes
// in this order; OpenSSH keeps the first value of an option.
var sshArgVars = []string{"ansible_ssh_args", "ansible_ssh_common_args", "ansible_ssh_extra_args"}

// sshArgs are the settings ferry takes from those arguments.
type sshArgs struct {
	knownHosts []string
	strict     string // HostKeyStrict, HostKeyAcceptNew or "" (not given)
	keys       []string
	jump       string
}

// ignoredSSHOptions only shape how OpenSSH's own client works (connection
// sharing, compression, logging, keep-alives, the algorithms and methods it
// offers first): not which host is reached, as whom, or how its key is
// checked. ferry speaks SSH itself and goes without them. ConnectTimeout
// is among them because 2.14 gives ssh its own (ansible_ssh_timeout)
// before these arguments, and OpenSSH keeps the first.
var ignoredSSHOptions = map[string]bool{"controlmaster": true, "controlpersist": true, "controlpath": true,
	"compression": true, "serveraliveinterval": true, "serveralivecountmax": true, "tcpkeepalive": true,
	"loglevel": true, "batchmode": true, "connecttimeout": true, "connectionattempts": true, "identitiesonly": true,
	"passwordauthentication": true, "pubkeyauthentication": true, "kbdinteractiveauthentication": true,
	"challengeresponseauthentication": true, "preferredauthentications": true, "gssapiauthentication": true,
	"gssapidelegatecredentials": true, "checkhostip": true, "updatehostkeys": true, "addressfamily": true,
	"requesttty": true, "forwardx11": true, "ciphers": true, "kexalgorithms": true, "macs": true,
	"hostkeyalgorithms": true, "pubkeyacceptedkeytypes": true, "pubkeyacceptedalgorithms": true,
	"visualhostkey": true, "verifyhostkeydns": true, "hashknownhosts": true}

// ignoredSSHFlags are ssh's flags of the same kind; the ones in
// ignoredSSHFlagArgs take a value.
var (
	ignoredSSHFlags    = map[string]bool{"-C": true, "-q": true, "-v": true, "-vv": true, "-vvv": true, "-4": true, "-6": true, "-T": true, "-t": true, "-tt": true, "-x": true, "-a": true, "-k": true}
	ignoredSSHFlagArgs = map[string]bool{"-c": true, "-m": true, "-E": true, "-S": true}
)

// parseSSHArgs reads the ssh arguments of vars (sshArgVars), refusing
// what ferry cannot do as OpenSSH would rather than ignoring it.
func parseSSHArgs(v *varReader) (sshArgs, error) {
	var a sshArgs
	for _, name := range sshArgVars {
		words, err := shellquote.Split(v.str(name))
		if err != nil {
			return a, fmt.Errorf("%s: %w", name, err)
		}
		if err := a.read(words); err != nil {
			return a, fmt.Errorf("%s: %w", name, err)
		}
	}
	return a, nil
}

func (a *sshArgs) read(words []string) error {
	for i := 0; i < len(words); i++ {
		w := words[i]
		flag, value, joined := w, "", false
		if len(w) > 2 && strings.HasPrefix(w, "-") && !strings.HasPrefix(w, "--") && (w[1] == 'o' || w[1] == 'i' || w[1] == 'J') {
			flag, value, joined = w[:2], w[2:], true
		}
		takesValue := flag == "-o" || flag == "-i" || flag == "-J" || ignoredSSHFlagArgs[flag]
		if takesValue && !joined {
			if i+1 == len(words) {
				return fmt.Errorf("%s needs a value", flag)
			}
			i++
			value = words[i]
		}
		var err error
		switch {
		case flag == "-o":
			err = a.option(value)
		case flag == "-i":
			a.keys = append(a.keys, value)
		case flag == "-J":
			a.setJump(value)
		case ignoredSSHFlags[flag] || ignoredSSHFlagArgs[flag]:
		default:
			err = refusedSSHArg(w)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// option reads one -o Key=Value (or "Key Value").
func (a *sshArgs) option(kv string) error {
	key, value, ok := strings.Cut(kv, "=")
	if !ok {
		key, value, _ = strings.Cut(kv, " ")
	}
	key, value = strings.TrimSpace(key), strings.TrimSpace(value)
	switch lower := strings.ToLower(key); {
	case lower == "userknownhostsfile" || lower == "globalknownhostsfile":
		for _, f := range strings.Fields(value) {
			if f == "/dev/null" {
				return fmt.Errorf("-o %s: ferry never turns host key checking off (a known_hosts file of /dev/null does); "+
					"set ferry_host_key_checking: accept-new to record hosts seen for the first time", kv)
			}
			a.knownHosts = append(a.knownHosts, f)
		}
	case lower == "stricthostkeychecking":
		return a.setStrict(kv, value)
	case lower == "identityfile":
		a.keys = append(a.keys, value)
	case lower == "proxyjump":
		a.setJump(value)
	case ignoredSSHOptions[lower]:
	default:
		return refusedSSHArg("-o " + kv)
	}
	return nil
}

func (a *sshArgs) setStrict(kv, value string) error {
	if a.strict != "" {
		return nil // OpenSSH keeps the first
	}
	switch strings.ToLower(value) {
	case "yes", "ask":
		a.strict = HostKeyStrict
	case "accept-new":
		a.strict = HostKeyAcceptNew
	default:
		return fmt.Errorf("-o %s: ferry never turns host key checking off; set ferry_host_key_checking: accept-new to record hosts seen for the first time", kv)
	}
	return nil
}

func (a *sshArgs) setJump(spec string) {
	if a.jump == "" {
		a.jump = spec
	}
}

func refusedSSHArg(arg string) error {
	return fmt.Errorf("ssh argument %q is not supported by ferry, which speaks SSH itself: it takes -o UserKnownHostsFile, "+
		"StrictHostKeyChecking (yes, accept-new), IdentityFile and ProxyJump, -i and -J, and leaves out the options of OpenSSH's "+
		"own client (ControlMaster, Compression, ServerAliveInterval...); for a bastion use ProxyJump or ferry_proxy_jump", arg)
}

// unsupportedSSHVars are 2.14 ssh plugin variables whose setting ferry
// cannot honour, with what to do instead.
var unsupportedSSHVars = map[string]string{
	"ansible_ssh_pkcs11_provider": "ferry does not read keys from a PKCS#11 token: give a key file (ansible_ssh_private_key_file) or use an ssh agent",
}

// CheckSSHVars checks the ssh connection variables among vars that hold
// no template, as a connection made with them would: Validate calls it
// before anything runs. A templated value is checked when the connection
// is made.
func CheckSSHVars(vars map[string]any) error {
	literal := map[string]any{}
	for k, v := range vars {
		if s, ok := v.(string); ok && strings.Contains(s, "{{") {
			continue
		}
		literal[k] = v
	}
	v := &varReader{vars: withAliases(literal)}
	if _, err := parseSSHArgs(v); err != nil {
		return err
	}
	if err := hostKeyCheckingVars(v); err != nil {
		return err
	}
	for name, hint := range unsupportedSSHVars {
		if s := v.str(name); s != "" {
			return fmt.Errorf("%s: %s", name, hint)
		}
	}
	for _, name := range []string{"ansible_port", "ansible_timeout"} {
		v.int(name)
	}
	return v.err
}

// hostKeyCheckingVars refuses Ansible's switches set to turn host key
// checking off; set to on, they change nothing.
func hostKeyCheckingVars(v *varReader) error {
	for _, off := range []string{"ansible_host_key_checking", "ansible_ssh_host_key_checking"} {
		raw, set := v.vars[off]
		if !set || raw == nil {
			continue
		}
		if on, err := modules.ToBool(raw); err != nil || !on {
			return fmt.Errorf("%s: ferry never turns host key checking off; set ferry_host_key_checking: accept-new to record hosts seen for the first time", off)
		}
	}
	return nil
}
