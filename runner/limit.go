package runner

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ferry-sh/ferry/inventory"
)

// LimitError is a --limit that leaves no host to run on. ansible-playbook
// refuses it before running anything, with exit code 1 (measured: 2.14
// prints "Specified inventory, host pattern and/or --limit leaves us with no
// hosts to target." and exits 1).
type LimitError struct {
	Limit string
	Err   *inventory.NoMatchError
}

func (e *LimitError) Error() string {
	msg := fmt.Sprintf("--limit %q leaves no host to run on", e.Limit)
	if unknown := unknownNames(e.Err); unknown != "" {
		msg += ": " + unknown
	}
	return msg + " (ferry inventory --graph lists the hosts and groups)"
}

// checkLimit refuses a --limit that matches no host of the inventory, and
// warns about the parts of one that name no host or group (ansible-playbook
// warns "Could not match supplied host pattern, ignoring: ..." and goes on).
func checkLimit(inv *inventory.Inventory, limit string, warn io.Writer) error {
	if limit == "" {
		return nil
	}
	hosts, err := inv.Match(limit)
	var none *inventory.NoMatchError
	switch {
	case errors.As(err, &none) && len(hosts) == 0:
		return &LimitError{Limit: limit, Err: none}
	case errors.As(err, &none):
		fmt.Fprintf(warn, "[WARNING]: --limit %q: %s; ignoring it\n", limit, unknownNames(none))
	case err != nil:
		return &UsageError{Msg: fmt.Sprintf("--limit %q: %v", limit, err)}
	}
	return nil
}

func unknownNames(e *inventory.NoMatchError) string {
	parts := make([]string, 0, len(e.Unknown))
	for _, u := range e.Unknown {
		s := fmt.Sprintf("%q is not a host or group of the inventory", u.Name)
		if u.Hint != "" {
			s += " (" + u.Hint + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}
