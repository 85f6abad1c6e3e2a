package hostcmd

import (
	"errors"
	"strings"

	"github.com/ferry-sh/ferry/internal/anylist"
	"github.com/ferry-sh/ferry/modules"
)

// CheckRC is the failure of AnsibleModule.run_command(argv, check_rc=True)
// when the command exits non-zero: cmd as Ansible quotes it, rc, the output
// (with the lines Ansible's action adds) and stderr as the message. The
// error fails the task, keeping the result for register.
func CheckRC(out modules.Output, argv []string) (modules.Result, error) {
	msg := strings.TrimRight(out.Stderr, " \t\r\n")
	data := modules.Ordered(map[string]any{
		"cmd": Quote(argv...), "rc": out.RC, "stdout": out.Stdout, "stderr": out.Stderr, "msg": msg,
		"stdout_lines": anylist.Lines(out.Stdout), "stderr_lines": anylist.Lines(out.Stderr),
	}, "cmd", "rc", "stdout", "stderr", "msg", "stdout_lines", "stderr_lines")
	return modules.Result{Failed: true, Msg: msg, Data: data}, errors.New(msg)
}
