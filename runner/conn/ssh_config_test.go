package conn

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSSHConfigFromVars(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	sshConfig := filepath.Join(t.TempDir(), "config")
	err := os.WriteFile(sshConfig, []byte(`
Host web1
  HostName 10.0.0.5
  User deploy
  Port 2200
  IdentityFile ~/.ssh/web_%h
  ProxyJump jump1
Host jump1
  HostName 10.0.0.1
  User jumper
Host hashed
  HashKnownHosts yes
  StrictHostKeyChecking accept-new
Host badport
  Port http
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	me := localUser()
	tests := []struct {
		name  string
		host  string
		vars  map[string]any
		check func(t *testing.T, c SSHConfig)
	}{
		{"ssh config applies by inventory name", "web1", nil, func(t *testing.T, c SSHConfig) {
			want := "deploy@10.0.0.5:2200 via jumper@10.0.0.1:22"
			if c.Endpoint() != want {
				t.Errorf("endpoint %q, want %q", c.Endpoint(), want)
			}
			if !reflect.DeepEqual(c.KeyFiles, []string{home + "/.ssh/web_10.0.0.5"}) {
				t.Errorf("keys %v", c.KeyFiles)
			}
			if j := c.ProxyJump[0]; !reflect.DeepEqual(j.KeyFiles, c.KeyFiles) || j.Password != "" {
				t.Errorf("bastion keys %v", j.KeyFiles)
			}
		}},
		{"inventory wins", "web1", map[string]any{
			"ansible_user": "root", "ansible_port": 22, "ansible_ssh_private_key_file": "~/k",
			"ferry_proxy_jump": "none", "ansible_timeout": "3", "ansible_password": "pw",
		}, func(t *testing.T, c SSHConfig) {
			if c.Endpoint() != "root@10.0.0.5:22" || c.ConnectTimeout != 3*time.Second || c.Password != "pw" {
				t.Errorf("got %s timeout %s", c.Endpoint(), c.ConnectTimeout)
			}
			if !reflect.DeepEqual(c.KeyFiles, []string{home + "/k", home + "/.ssh/web_10.0.0.5"}) {
				t.Errorf("keys %v", c.KeyFiles)
			}
		}},
		{"ansible_host is looked up in ssh config", "anything", map[string]any{"ansible_host": "web1"}, func(t *testing.T, c SSHConfig) {
			if c.Host != "10.0.0.5" || c.Name != "anything" {
				t.Errorf("host %q name %q", c.Host, c.Name)
			}
		}},
		{"defaults", "plain", nil, func(t *testing.T, c SSHConfig) {
			if c.Endpoint() != me+"@plain:22" || c.HostKeyChecking != HostKeyStrict || c.ConnectTimeout != DefaultConnectTimeout ||
				c.MaxSessions != DefaultMaxSessions || c.KnownHosts[0] != home+"/.ssh/known_hosts" || c.HashKnownHosts {
				t.Errorf("got %+v", c)
			}
		}},
		{"inventory known_hosts come first", "plain", map[string]any{
			"ansible_ssh_known_hosts_file": "/a", "ferry_known_hosts": []any{"/b", "/c"},
		}, func(t *testing.T, c SSHConfig) {
			if !reflect.DeepEqual(c.KnownHosts[:4], []string{"/a", "/b", "/c", home + "/.ssh/known_hosts"}) {
				t.Errorf("known hosts %v", c.KnownHosts)
			}
		}},
		{"ssh config checking options", "hashed", nil, func(t *testing.T, c SSHConfig) {
			if !c.HashKnownHosts || c.HostKeyChecking != HostKeyAcceptNew {
				t.Errorf("got %+v", c)
			}
		}},
		{"proxy jump chain from inventory", "plain", map[string]any{"ferry_proxy_jump": "a@b1:2201, jump1,[::1]:23"}, func(t *testing.T, c SSHConfig) {
			var got []string
			for _, j := range c.ProxyJump {
				got = append(got, j.Endpoint())
			}
			want := []string{"a@b1:2201", "jumper@10.0.0.1:22", me + "@[::1]:23"}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("hops %v, want %v", got, want)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := SSHConfigFromVars(tt.host, tt.vars, sshConfig)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestSSHConfigFromVarsErrors(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	sshConfig := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(sshConfig, []byte("Host badport\n  Port http\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		host string
		vars map[string]any
		want string
	}{
		{"bad ssh config port", "badport", nil, sshConfig + `: Host badport: Port "http" is not a port number`},
		{"bad inventory port", "h", map[string]any{"ansible_port": "x"}, `ansible_port: "x" is not a whole number`},
		{"checking cannot be turned off", "h", map[string]any{"ansible_host_key_checking": false}, "ferry never turns host key checking off"},
		{"unknown checking mode", "h", map[string]any{"ferry_host_key_checking": "no"}, `"no" is not a mode`},
		{"bad jump", "h", map[string]any{"ferry_proxy_jump": "u@h:99999"}, `ferry_proxy_jump: "u@h:99999" is not [user@]host[:port]`},
		{"list where a value is needed", "h", map[string]any{"ansible_user": []any{"a"}}, "ansible_user: want a single value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := SSHConfigFromVars(tt.host, tt.vars, sshConfig)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "host "+tt.host+": ") {
				t.Fatalf("got %v, want an error with %q", err, tt.want)
			}
		})
	}
}

func TestConnectionType(t *testing.T) {
	tests := []struct {
		v       any
		want    string
		wantErr bool
	}{{nil, "ssh", false}, {"ssh", "ssh", false}, {"local", "local", false}, {"winrm", "", true}}
	for _, tt := range tests {
		got, err := ConnectionType(map[string]any{"ansible_connection": tt.v})
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ConnectionType(%v) = %q, %v", tt.v, got, err)
		}
	}
}
