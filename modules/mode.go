package modules

import (
	"fmt"
	"strconv"
	"strings"
)

// parseMode reads a file mode argument the way Ansible does: an octal string
// ("0644", "644"), a symbolic one ("u=rw,g=r,o=r", "a+X"), or a number that
// YAML already read (unquoted 0644 is 420). cur is the path's current mode,
// which symbolic modes build on; isDir decides what X means.
func parseMode(v any, cur uint32, isDir bool) (uint32, error) {
	switch m := v.(type) {
	case int:
		return NumericMode(m)
	case int64:
		return NumericMode(int(m))
	case float64:
		if m == float64(int(m)) {
			return NumericMode(int(m))
		}
	case string:
		s := strings.TrimSpace(m)
		if isOctal(strings.TrimPrefix(s, "0o")) {
			n, err := strconv.ParseUint(strings.TrimPrefix(s, "0o"), 8, 32)
			if err != nil || n > 0o7777 {
				return 0, fmt.Errorf("mode %q is larger than 07777", m)
			}
			return uint32(n), nil
		}
		if _, err := strconv.Atoi(s); err == nil {
			return 0, fmt.Errorf("mode %q is not octal: use only the digits 0-7, as in \"0644\"", m)
		}
		return symbolicMode(s, cur, isDir)
	}
	return 0, fmt.Errorf("mode must be an octal string like \"0644\" or a symbolic mode like \"u=rw,g=r,o=r\", got %v", v)
}

// NumericMode accepts a mode YAML read as a number. An unquoted `mode: 644`
// is the decimal 644 (octal 01204), almost surely not what was meant, so such
// numbers are refused with the fix instead of silently applied.
func NumericMode(n int) (uint32, error) {
	if n < 0 || n > 0o7777 {
		return 0, fmt.Errorf("mode %d is not a file mode; write it as a quoted octal string like \"0644\"", n)
	}
	if dec := strconv.Itoa(n); n > 0o777 && len(dec) == 3 && isOctal(dec) {
		return 0, fmt.Errorf("mode %d is the decimal number %d (octal %04o); quote it: mode: \"0%d\"", n, n, n, n)
	}
	return uint32(n), nil
}

func isOctal(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '7' {
			return false
		}
	}
	return true
}

// symbolicMode applies chmod-style clauses ("u+rwx,g-w,o=") to cur. An empty
// who means all (as Ansible does, not chmod's umask).
func symbolicMode(spec string, cur uint32, isDir bool) (uint32, error) {
	mode := cur & 0o7777
	for _, clause := range strings.Split(spec, ",") {
		whoEnd := strings.IndexAny(clause, "+-=")
		if whoEnd < 0 {
			return 0, fmt.Errorf("mode %q: clause %q has no operator (+, - or =)", spec, clause)
		}
		who, err := whoMask(clause[:whoEnd])
		if err != nil {
			return 0, fmt.Errorf("mode %q: %w", spec, err)
		}
		rest := clause[whoEnd:]
		for rest != "" {
			op := rest[0]
			permEnd := strings.IndexAny(rest[1:], "+-=")
			if permEnd < 0 {
				permEnd = len(rest) - 1
			}
			perms := rest[1 : 1+permEnd]
			rest = rest[1+permEnd:]
			bits, err := permBits(perms, who, mode, isDir)
			if err != nil {
				return 0, fmt.Errorf("mode %q: %w", spec, err)
			}
			switch op {
			case '+':
				mode |= bits
			case '-':
				mode &^= bits
			case '=':
				mode = mode&^clearedBy(who) | bits
			}
		}
	}
	return mode, nil
}

// whoMask returns the rwx bits that u, g, o, a select.
func whoMask(who string) (uint32, error) {
	if who == "" {
		return 0o777, nil
	}
	var m uint32
	for _, r := range who {
		switch r {
		case 'u':
			m |= 0o700
		case 'g':
			m |= 0o070
		case 'o':
			m |= 0o007
		case 'a':
			m |= 0o777
		default:
			return 0, fmt.Errorf("%q is not u, g, o or a", r)
		}
	}
	return m, nil
}

func permBits(perms string, who, cur uint32, isDir bool) (uint32, error) {
	var bits uint32
	for _, r := range perms {
		switch r {
		case 'r':
			bits |= 0o444 & who
		case 'w':
			bits |= 0o222 & who
		case 'x':
			bits |= 0o111 & who
		case 'X':
			if isDir || cur&0o111 != 0 {
				bits |= 0o111 & who
			}
		case 's':
			if who&0o700 != 0 {
				bits |= 0o4000
			}
			if who&0o070 != 0 {
				bits |= 0o2000
			}
		case 't':
			if who&0o007 != 0 {
				bits |= 0o1000
			}
		default:
			return 0, fmt.Errorf("%q is not one of r, w, x, X, s, t", r)
		}
	}
	return bits, nil
}

// clearedBy is what `=` resets for who: its rwx bits and the special bit
// that belongs to it.
func clearedBy(who uint32) uint32 {
	c := who
	if who&0o700 != 0 {
		c |= 0o4000
	}
	if who&0o070 != 0 {
		c |= 0o2000
	}
	if who&0o007 != 0 {
		c |= 0o1000
	}
	return c
}

// FormatMode prints a mode as Ansible reports it: "0644".
func FormatMode(m uint32) string { return fmt.Sprintf("%04o", m) }
