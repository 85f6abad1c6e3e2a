package inventory

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// maxExpandedHosts bounds what one host pattern may expand to, so that a typo
// like web[0:99999999] fails clearly instead of exhausting memory.
const maxExpandedHosts = 100000

const asciiLetters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// ExpandHostRange expands Ansible host ranges: web[01:03] gives web01, web02,
// web03; db-[a:c] gives db-a, db-b, db-c; [1:10:2] steps by 2; several ranges
// in one name multiply. A name without '[' is returned as is. Unlike Ansible,
// which silently yields no hosts for web[3:1], a reversed range is an error.
func ExpandHostRange(pattern string) ([]string, error) {
	open := strings.IndexByte(pattern, '[')
	if open < 0 {
		return []string{pattern}, nil
	}
	closeRel := strings.IndexByte(pattern[open:], ']')
	if closeRel < 0 {
		return nil, fmt.Errorf("host range in %q has no closing ']'", pattern)
	}
	head, spec, tail := pattern[:open], pattern[open+1:open+closeRel], pattern[open+closeRel+1:]
	seq, err := rangeSequence(spec)
	if err != nil {
		return nil, fmt.Errorf("host range [%s] in %q: %w", spec, pattern, err)
	}
	tails, err := ExpandHostRange(tail)
	if err != nil {
		return nil, err
	}
	if len(seq)*len(tails) > maxExpandedHosts {
		return nil, fmt.Errorf("host range %q expands to more than %d hosts", pattern, maxExpandedHosts)
	}
	out := make([]string, 0, len(seq)*len(tails))
	for _, item := range seq {
		for _, t := range tails {
			out = append(out, head+item+t)
		}
	}
	return out, nil
}

// rangeSequence turns "01:10", "a:c" or "1:10:2" into the items it stands for.
func rangeSequence(spec string) ([]string, error) {
	bounds := strings.Split(spec, ":")
	if len(bounds) != 2 && len(bounds) != 3 {
		return nil, fmt.Errorf("a range must be [start:end] or [start:end:step]")
	}
	beg, end := bounds[0], bounds[1]
	step := 1
	if len(bounds) == 3 {
		s, err := strconv.Atoi(bounds[2])
		if err != nil || s < 1 {
			return nil, fmt.Errorf("range step %q must be a positive integer", bounds[2])
		}
		step = s
	}
	if beg == "" {
		beg = "0"
	}
	if end == "" {
		return nil, fmt.Errorf("range has no end value")
	}
	if len(beg) == 1 && len(end) == 1 && isLetter(beg[0]) && isLetter(end[0]) {
		return letterSequence(beg, end, step)
	}
	return numberSequence(beg, end, step)
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func letterSequence(beg, end string, step int) ([]string, error) {
	i, j := strings.Index(asciiLetters, beg), strings.Index(asciiLetters, end)
	if i > j {
		return nil, fmt.Errorf("range start %s is after end %s", beg, end)
	}
	var seq []string
	for k := i; k <= j && k < len(asciiLetters); k += step {
		seq = append(seq, asciiLetters[k:k+1])
	}
	return seq, nil
}

func numberSequence(beg, end string, step int) ([]string, error) {
	from, err1 := strconv.Atoi(beg)
	to, err2 := strconv.Atoi(end)
	if err1 != nil || err2 != nil || from < 0 || to < 0 {
		return nil, fmt.Errorf("range bounds must be two non-negative numbers or two single letters")
	}
	if from > to {
		return nil, fmt.Errorf("range start %s is after end %s", beg, end)
	}
	width := 0
	if beg[0] == '0' && len(beg) > 1 {
		if len(beg) != len(end) {
			return nil, fmt.Errorf("zero-padded range start %s and end %s must have the same width", beg, end)
		}
		width = len(beg)
	}
	if (to-from)/step+1 > maxExpandedHosts {
		return nil, fmt.Errorf("range expands to more than %d hosts", maxExpandedHosts)
	}
	count := (to-from)/step + 1
	seq := make([]string, 0, count)
	for i := 0; i < count; i++ { // counting, not n <= to: n += step could overflow
		seq = append(seq, fmt.Sprintf("%0*d", width, from+i*step))
	}
	return seq, nil
}

// Address parsing follows ansible.parsing.utils.addresses: a host name or IP
// with an optional :port, or [host]:port.
var (
	rangeAlnum = `\[(?:[a-zA-Z]:[a-zA-Z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`
	labelRE    = `(?:[\p{L}\p{N}_]|` + rangeAlnum + `)(?:(?:[\p{L}\p{N}_-]|` + rangeAlnum + `)*(?:[\p{L}\p{N}]|` + rangeAlnum + `))?`
	// hostnameRE is compiled on first use: its Unicode classes make it the
	// costliest regexp of the program (half a millisecond), and plain ASCII
	// names never need it (isASCIIHostname).
	hostnameRE        = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^` + labelRE + `(?:\.` + labelRE + `)*$`) })
	ipv4Component     = `(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|\[[0-9]+:[0-9]+(?::[0-9]+)?\])`
	ipv4RE            = regexp.MustCompile(`^(?:` + ipv4Component + `\.){3}` + ipv4Component + `$`)
	bracketedPortRE   = regexp.MustCompile(`^\[(.+)\]:([0-9]+)$`)
	hostPortRE        = regexp.MustCompile(`^((?:[^:\[\]]|\[[^\]]*\])*):([0-9]+)$`)
	errNotAnAddress   = fmt.Errorf("not a valid host address")
	errPortOutOfRange = fmt.Errorf("port out of range")
)

// parseAddress splits "host:port" and "[host]:port" and checks that host is a
// host name, IPv4 or IPv6 address (ranges allowed). port is 0 when absent.
func parseAddress(addr string) (host string, port int, err error) {
	host = addr
	for _, re := range []*regexp.Regexp{bracketedPortRE, hostPortRE} {
		if m := re.FindStringSubmatch(host); m != nil {
			host = m[1]
			p, err := strconv.Atoi(m[2])
			if err != nil || p > 65535 {
				return "", 0, errPortOutOfRange
			}
			port = p
		}
	}
	if ipv4RE.MatchString(host) || isIPv6(host) || isHostname(host) {
		return host, port, nil
	}
	return "", 0, errNotAnAddress
}

func isHostname(s string) bool {
	if ok, decided := isASCIIHostname(s); decided {
		return ok
	}
	return hostnameRE().MatchString(s)
}

// isASCIIHostname decides hostnameRE for names of ASCII letters, digits,
// '_', '-' and '.': dot-separated labels that start with a letter, digit or
// '_' and, when longer than one character, end with a letter or digit.
// decided is false for any other character (Unicode, a range's brackets).
func isASCIIHostname(s string) (ok, decided bool) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isASCIIAlnum(c) && c != '_' && c != '-' && c != '.' {
			return false, false
		}
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || label[0] == '-' {
			return false, true
		}
		if last := label[len(label)-1]; len(label) > 1 && !isASCIIAlnum(last) {
			return false, true
		}
	}
	return true, true
}

func isASCIIAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isIPv6(s string) bool {
	return strings.Contains(s, ":") && !strings.Contains(s, "[") && net.ParseIP(s) != nil
}
