package expect_test

import (
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/internal/modtest"
	"github.com/ferry-sh/ferry/modules"
)

// The local connection and SSH both drive the terminal, and a command that
// cannot start ends the task at once with why (the answers' input is
// closed by the wrapper's last words, not by a timeout: none is set).
func TestExpectOverLocalAndSSH(t *testing.T) {
	hosts := map[string]*modules.Host{"local": modtest.NewHost(t), "ssh": modtest.SSHHost(t)}
	for name, h := range hosts {
		res, _ := modtest.MustRun(t, h, "expect", map[string]any{
			"command":   `sh -c 'printf "Color? "; read a; printf "Size? "; read b; echo "$a $b"; pwd'`,
			"chdir":     "/",
			"timeout":   nil,
			"responses": map[string]any{"Color\\?": "blue", "Size": 7},
		})
		if got := res.Data["stdout"]; got != "Color? Size? blue 7\r\n/" || res.Data["rc"] != 0 {
			t.Errorf("%s: %v", name, res.Data)
		}
		for _, c := range []struct {
			args map[string]any
			want string
		}{
			{map[string]any{"command": "true", "chdir": "/no/such/dir"}, "cannot change into chdir /no/such/dir"},
			{map[string]any{"command": "no-such-program -x"}, "The command was not found or was not executable: no-such-program."},
		} {
			c.args["responses"], c.args["timeout"] = map[string]any{"x": "y"}, nil
			if _, _, err := modtest.Run(t, h, "expect", c.args); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s %v: got %v, want %q", name, c.args, err, c.want)
			}
		}
	}
}
