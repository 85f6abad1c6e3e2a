package runner

import (
	"strings"

	"github.com/ferry-sh/ferry/runner/conn"
)

// sshSettings refuses, before anything runs, the ssh connection
// variables a connection would refuse (conn.CheckSSHVars: ssh arguments
// ferry cannot honour, host key checking turned off...): those of the
// inventory hosts each play runs on, and those its vars and its tasks'
// vars set. Templated values are checked when the connection opens.
func (v *validator) sshSettings(play *Play) {
	if v.inv != nil {
		hosts, _ := v.inv.Match(play.Hosts) // a bad pattern is hostPattern's to report
		for _, h := range hosts {
			if v.checkedHosts[h.Name] {
				continue
			}
			if v.checkedHosts == nil {
				v.checkedHosts = map[string]bool{}
			}
			v.checkedHosts[h.Name] = true
			if err := checkSSHVars(v.inv.HostVars(h.Name)); err != nil {
				v.diags.add(Pos{File: h.File}, "", "host %s: %v", h.Name, err)
			}
		}
	}
	if err := checkSSHVars(play.Vars); err != nil {
		v.diags.add(play.Pos, "", "play vars: %v", err)
	}
	play.AllTasks(func(t *Task, _ bool) {
		if err := checkSSHVars(t.Vars); err != nil {
			v.diags.add(t.Pos, "", "vars: %v", err)
		}
	})
}

// checkSSHVars checks vars unless they say the connection is local.
func checkSSHVars(vars map[string]any) error {
	if c, ok := vars["ansible_connection"].(string); ok && strings.HasSuffix(c, "local") {
		return nil
	}
	return conn.CheckSSHVars(vars)
}
