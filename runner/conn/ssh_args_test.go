package conn

import (
	"strings"
	"testing"
)

// The ansible_ssh_ names win over the short ones, as in 2.14, and the ssh
// arguments give known_hosts files, the checking mode, keys and a bastion.
func TestSSHVariablesAndArguments(t *testing.T) {
	c, err := SSHConfigFromVars("h", map[string]any{
		"ansible_host": "10.0.0.1", "ansible_ssh_host": "10.0.0.2",
		"ansible_port": 1, "ansible_ssh_port": "2222",
		"ansible_user": "a", "ansible_ssh_user": "b",
		"ansible_private_key_file": "/k1",
		"ansible_password":         "p1", "ansible_ssh_pass": "p2", "ansible_ssh_password": "p3",
		"ansible_timeout": 5, "ansible_ssh_timeout": 7,
		"ansible_ssh_args":        "-C -o ControlMaster=auto -o ControlPersist=60s",
		"ansible_ssh_common_args": "-o UserKnownHostsFile='/kh1 /kh2' -o StrictHostKeyChecking=accept-new -J jump@bastion:2200",
		"ansible_ssh_extra_args":  "-i /k2 -oStrictHostKeyChecking=yes -o ServerAliveInterval=30",
	}, "/nonexistent")
	if err != nil {
		t.Fatal(err)
	}
	if c.Host != "10.0.0.2" || c.Port != 2222 || c.User != "b" || c.Password != "p3" || c.ConnectTimeout.Seconds() != 7 {
		t.Errorf("aliases: %+v", c)
	}
	if strings.Join(c.KeyFiles[:2], " ") != "/k1 /k2" {
		t.Errorf("keys: %v", c.KeyFiles)
	}
	if strings.Join(c.KnownHosts[:2], " ") != "/kh1 /kh2" {
		t.Errorf("known hosts: %v", c.KnownHosts)
	}
	if c.HostKeyChecking != HostKeyAcceptNew { // OpenSSH keeps an option's first value
		t.Errorf("host key checking %q", c.HostKeyChecking)
	}
	if len(c.ProxyJump) != 1 || c.ProxyJump[0].User != "jump" || c.ProxyJump[0].Port != 2200 {
		t.Errorf("bastion: %+v", c.ProxyJump)
	}
}

// Arguments ferry cannot honour are refused, not ignored.
func TestSSHArgumentsRefused(t *testing.T) {
	for args, want := range map[string]string{
		`-o ProxyCommand="nc %h %p"`:      `"-o ProxyCommand=nc %h %p" is not supported`,
		"-o StrictHostKeyChecking=no":     "never turns host key checking off",
		"-o UserKnownHostsFile=/dev/null": "never turns host key checking off",
		"-F /etc/ssh/other_config":        `"-F" is not supported`,
		"-L 8080:localhost:80":            `"-L" is not supported`,
		"-o User=root":                    `"-o User=root" is not supported`,
		"-o":                              "-o needs a value",
		"-o 'unterminated":                "ansible_ssh_extra_args",
	} {
		_, err := SSHConfigFromVars("h", map[string]any{"ansible_ssh_extra_args": args}, "/nonexistent")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error with %q", args, err, want)
		}
		if CheckSSHVars(map[string]any{"ansible_ssh_extra_args": args}) == nil {
			t.Errorf("%s: CheckSSHVars lets it through", args)
		}
	}
	if err := CheckSSHVars(map[string]any{"ansible_ssh_extra_args": "{{ more_args }}", "ansible_host_key_checking": "yes"}); err != nil {
		t.Errorf("a template and checking left on: %v", err)
	}
}
