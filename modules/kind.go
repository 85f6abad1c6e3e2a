package modules

import (
	"fmt"
	"net"
	"net/netip"
	"path"
	"strconv"
	"strings"
	"time"
)

// Kind is what a string or number argument means beyond its type: an
// absolute path, an address, a port. Declaring it on the argument checks every
// value before the module runs: a literal when the playbook is validated, a
// template the moment it is rendered. A list argument checks each item.
type Kind int

const (
	// Plain is any value of the argument's type.
	Plain Kind = iota
	// AbsPath is an absolute path on the host.
	AbsPath
	// IPv4 is an IPv4 address such as 10.0.0.5.
	IPv4
	// IPv4CIDR is an IPv4 network such as 10.96.0.0/16.
	IPv4CIDR
	// PortNumber is a TCP or UDP port, 1 to 65535.
	PortNumber
	// DNSName is a host name such as dash.example.com (no scheme, no port).
	DNSName
	// Seconds is a duration in whole seconds, 1 or more.
	Seconds
	// FileMode is a permission mode: octal ("0644", 0o644 as a number) or
	// symbolic (u=rw,g=r), as chmod takes it.
	FileMode
	// SourceMode is a FileMode or "preserve": the mode of the file copied
	// (copy's and template's mode).
	SourceMode
)

var kindNames = [...]string{"", "absolute path", "IPv4 address", "IPv4 CIDR", "port", "DNS name", "seconds", "file mode", "file mode or preserve"}

func (k Kind) String() string { return kindNames[k] }

// check reports why v, the value of argument name, is not of kind k, and
// what to give instead.
func (k Kind) check(name string, v any) error {
	s := strings.TrimSpace(fmt.Sprint(v))
	switch k {
	case AbsPath:
		if !path.IsAbs(s) {
			return fmt.Errorf("%s %q must be an absolute path on the host", name, s)
		}
	case IPv4:
		if a, err := netip.ParseAddr(s); err != nil || !a.Is4() {
			return fmt.Errorf("%s %q is not an IPv4 address; give one such as 10.0.0.5", name, s)
		}
	case IPv4CIDR:
		if p, err := netip.ParsePrefix(s); err != nil || !p.Addr().Is4() {
			return fmt.Errorf("%s %q is not an IPv4 CIDR such as 10.96.0.0/16", name, s)
		}
	case PortNumber:
		if n, err := strconv.Atoi(s); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%s %s is not a TCP port (1-65535)", name, s)
		}
	case DNSName:
		if !ValidHostname(strings.ToLower(strings.TrimSuffix(s, ".")), false) {
			return fmt.Errorf("%s %q is not a host name; give the bare name, e.g. dash.example.com (no scheme, port or wildcard)", name, s)
		}
	case Seconds:
		if n, err := strconv.Atoi(s); err != nil || n < 1 {
			return fmt.Errorf("%s is %s; give a number of seconds, 1 or more (%d is an hour)", name, s, int(time.Hour/time.Second))
		}
	case FileMode, SourceMode:
		if k == SourceMode && s == "preserve" {
			return nil
		}
		if _, err := parseMode(v, 0, false); err != nil {
			return err // parseMode's messages say what to write
		}
	}
	return nil
}

// ValidHostname accepts a DNS name of letters, digits and hyphens, with a
// leading "*." when wildcard is allowed. IP addresses are refused: the
// auth- and admin- names are derived by prefixing the server's name.
func ValidHostname(name string, wildcard bool) bool {
	if wildcard {
		name = strings.TrimPrefix(name, "*.")
	}
	if name == "" || len(name) > 253 || net.ParseIP(name) != nil {
		return false
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return false
		}
		if strings.Trim(label, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			return false
		}
	}
	return true
}
