package hostcmd

import (
	"context"
	"strings"

	"github.com/ferry-sh/ferry/modules"
)

// ExpandUser is Python's os.path.expanduser on the host, which the path
// options of Ansible's modules get (~/.ssh/known_hosts): ~ is the task
// user's home, ~name that user's; an unknown user leaves the path as it is.
func ExpandUser(ctx context.Context, h *modules.Host, p string) (string, error) {
	if !strings.HasPrefix(p, "~") {
		return p, nil
	}
	user, rest, slash := strings.Cut(p[1:], "/")
	script := `printf '%s' "$HOME"`
	if user != "" {
		script = "getent passwd " + Quote(user) + " | cut -d: -f6 | tr -d '\\n'"
	}
	out, err := Query(ctx, h, script)
	if err != nil || out.Stdout == "" {
		return p, err
	}
	home := strings.TrimRight(out.Stdout, "/")
	if slash {
		home += "/" + rest
	}
	if home == "" {
		return "/", nil
	}
	return home, nil
}
