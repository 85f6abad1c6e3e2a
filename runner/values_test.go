package runner

import (
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/modules"
)

// `ferry validate` refuses a bad literal value of every module, at the
// value's file:line:col, with what to give instead. A new module must add its
// case here.
func TestValidateRefusesABadValueOfEveryModule(t *testing.T) {
	cases := map[string]struct{ task, want string }{
		"add_host":               {"add_host: {groups: a}", `module add_host needs argument "name"`},
		"apt":                    {"apt: {name: x, update_cache: maybe}", `pb.yml:3:22: argument update_cache: want a boolean`},
		"apt_key":                {"apt_key: {id: x, state: gone}", `pb.yml:3:24: argument state: "gone" is not one of absent, present`},
		"apt_repository":         {"apt_repository: {repo: x, update_cache: maybe}", `pb.yml:3:33: argument update_cache: want a boolean`},
		"assert":                 {"assert: {that: x, quiet: maybe}", `pb.yml:3:25: argument quiet: want a boolean (yes/no, true/false), got "maybe"`},
		"assemble":               {"assemble: {src: /a, dest: /b, ignore_hidden: maybe}", `pb.yml:3:37: argument ignore_hidden: want a boolean`},
		"authorized_key":         {"authorized_key: {user: a, key: 'https://github.com/a.keys'}", `pb.yml:3:33: key "https://github.com/a.keys" is a URL: ferry does not fetch keys`},
		"blockinfile":            {"blockinfile: {path: /x, insertafter: '(?<=a)b'}", "pb.yml:3:31: insertafter \"(?<=a)b\" is not a regular expression ferry can run"},
		"command":                {"command: {argv: []}", "pb.yml:3:17: argv is empty; give the program and its arguments, one per item"},
		"archive":                {"archive: {path: [tree], dest: /x.tgz}", `pb.yml:3:17: path "tree" is relative: give an absolute path on the host`},
		"async_status":           {"async_status: {jid: j1.2, mode: wipe}", `pb.yml:3:33: argument mode: "wipe" is not one of`},
		"copy":                   {"copy: {content: x, dest: /tmp/x, mode: 644}", `pb.yml:3:40: mode 644 is the decimal number 644 (octal 1204); quote it: mode: "0644"`},
		"cron":                   {"cron: {name: x, special_time: noon}", `pb.yml:3:23: argument special_time: "noon" is not one of`},
		"dnf":                    {"dnf: {name: x, state: installd}", `pb.yml:3:22: argument state: "installd" is not one of absent, installed, latest, present, removed`},
		"debconf":                {"debconf: {name: x, vtype: number}", `argument vtype: "number" is not one of`},
		"dpkg_selections":        {"dpkg_selections: {name: x, selection: keep}", `argument selection: "keep" is not one of`},
		"debug":                  {"debug: {msg: x, verbosity: loud}", `pb.yml:3:23: argument verbosity: want a whole number, got "loud"`},
		"known_hosts":            {"known_hosts: {name: x, hash_host: maybe}", `argument hash_host: want a boolean`},
		"fail":                   {"fail: {msg: '{{ x }'}", "pb.yml:3:"}, // msg takes any value: a broken template is its bad one
		"fetch":                  {"fetch: {src: /x, dest: /y, flat: maybe}", `pb.yml:3:34: argument flat: want a boolean`},
		"file":                   {"file: {path: /tmp/x, mode: u=banana}", "pb.yml:3:28: "},
		"firewalld":              {"firewalld: {port: 80/tcp, state: on}", `pb.yml:3:33: argument state: "on" is not one of absent, disabled, enabled, present`},
		"find":                   {"find: {paths: /x, size: 10 kb}", `pb.yml:3:25: size "10 kb": want a whole number with an optional unit`},
		"getent":                 {"getent: {database: group, fail_key: maybe}", `pb.yml:3:33: argument fail_key: want a boolean`},
		"set_stats":              {"set_stats: {per_host: maybe}", `pb.yml:3:19: argument per_host: want a boolean`},
		"gather_facts":           {"gather_facts: {parallel: maybe}", `pb.yml:3:22: argument parallel: want a boolean`},
		"package_facts":          {"package_facts: {strategy: last}", `pb.yml:3:23: argument strategy: "last" is not one of first, all`},
		"validate_argument_spec": {"validate_argument_spec: {argument_spec: [a]}", `pb.yml:3:32: argument argument_spec: want a mapping, got a list`},
		"get_url":                {"get_url: {url: 'http://x', dest: /tmp/x, checksum: 'crc:1'}", "pb.yml:3:48: checksum \"crc:1\" is not algorithm:value"},
		"group":                  {"group: {name: g, gid: x}", `pb.yml:3:24: argument gid: want a whole number, got "x"`},
		"git":                    {"git: {repo: /r.git, dest: /d, depth: deep}", `pb.yml:3:37: argument depth: want a whole number, got "deep"`},
		"group_by":               {"group_by: {key: x, parents: {a: 1}}", "pb.yml:3:26: argument parents: want a list, got a mapping"},
		"hostname":               {"hostname: {name: x, use: bsd}", `pb.yml:3:27: argument use: "bsd" is not one of`},
		"include_vars":           {"include_vars: {dir: /x, depth: deep}", `pb.yml:3:31: argument depth: want a whole number, got "deep"`},
		"ini_file":               {"ini_file: {path: /x, section: s, option: o, value: a, values: [b]}", "module ini_file takes only one of value, values"},
		"keycloak_user":          {"keycloak_user: {server: https://dash.example.com, username: alice}", `pb.yml:3:23: server "https://dash.example.com" is not a host name; give the bare name`},
		"kots_upload":            {"kots_upload: {license_file: /l, airgap_bundle: /b, wait_timeout: soon}", `pb.yml:3:58: wait_timeout "soon" is not a Go duration (e.g. 30m, 10s)`},
		"kots_release":           {"kots_release: {bundle: b.airgap, config_values: [a]}", "pb.yml:3:40: argument config_values: want a mapping, got a list"},
		"kurl":                   {"kurl: {bundle: /b, workdir: /w, service_cidr: banana}", `pb.yml:3:39: service_cidr "banana" is not an IPv4 CIDR such as 10.96.0.0/16`},
		"limits":                 {"limits: {namespaces: [apps], max_pods: -3}", "pb.yml:3:36: max_pods is -3; give a number of 1 or more"},
		"lineinfile":             {"lineinfile: {path: /x, line: a, validate: visudo -cf}", "pb.yml:3:39: validate must contain %s: visudo -cf; write %s where"},
		"modprobe":               {"modprobe: {name: x, persistent: yes}", `pb.yml:3:27: argument persistent: "yes" is not one of disabled, present, absent`},
		"mount":                  {"mount: {path: /mnt/x, state: ephemeral}", `pb.yml:3:29: argument state: "ephemeral" is not one of mounted, unmounted, present, absent, absent_from_fstab, remounted`},
		"package":                {"package: {name: {a: 1}}", `pb.yml:3:17: argument name: want a list, got a mapping`},
		"pause":                  {"pause: {seconds: -1}", "pb.yml:3:15: pause cannot wait a negative time (-1); give 0 or more"},
		"expect":                 {"expect: {command: passwd, responses: {x: y}, echo: maybe}", `pb.yml:3:52: argument echo: want a boolean`},
		"ping":                   {"ping: {data: a, date: b}", `pb.yml:3:23: module ping has no argument "date"`}, // data takes any value: a list's is Python's text of it, as 2.14's check_type_str
		"iptables":               {"iptables: {chain: INPUT, state: gone}", `pb.yml:3:32: argument state: "gone" is not one of absent, present`},
		"pip":                    {"pip: {name: foo, version: '1.0', state: latest}", "pb.yml:3:24: version is incompatible with state=latest"},
		"raw":                    {"raw: {free_form: ' '}", "pb.yml:3:13: free_form is empty"},
		"reboot":                 {"reboot: {reboot_timeout: 0}", "pb.yml:3:16: reboot_timeout is 0; give a number of seconds, 1 or more"},
		"replace":                {"replace: {path: /x, regexp: '(a'}", "pb.yml:3:27: regexp \"(a\" is not a regular expression ferry can run"},
		"rpm_key":                {"rpm_key: {key: /k.asc, state: installed}", `pb.yml:3:30: argument state: "installed" is not one of absent, present`},
		"script":                 {"script: {cmd: a.sh, chdir: tmp}", `pb.yml:3:27: chdir "tmp" must be an absolute path on the host`},
		"service":                {"service: {name: cron, state: up}", `pb.yml:3:29: argument state: "up" is not one of reloaded, restarted, started, stopped`},
		"selinux":                {"selinux: {state: enforcing, configfile: etc/selinux/config}", `pb.yml:3:35: configfile "etc/selinux/config" must be an absolute path on the host`},
		"service_facts":          {"service_facts: {name: cron}", `pb.yml:3:23: module service_facts has no argument "name"`},
		"set_fact":               {"set_fact: {cacheable: maybe}", `pb.yml:3:18: argument cacheable: want a boolean`},
		"setup":                  {"setup: {gather_subset: [network, '!hardwares']}", `pb.yml:3:15: gather_subset "!hardwares" is not a subset; give all, min, hardware`},
		"shell":                  {"shell: {cmd: ''}", "pb.yml:3:15: cmd is empty; give a value or leave the argument out"},
		"slurp":                  {"slurp: {src: /x, source: /y}", `pb.yml:3:24: module slurp has no argument "source"`},
		"stat":                   {"stat: {path: /tmp/x, follow: maybe}", `pb.yml:3:28: argument follow: want a boolean`},
		"subversion":             {"subversion: {repo: 'file:///r'}", "pb.yml:3:7: the destination directory must be specified unless checkout=no, update=no, and export=no"},
		"sysctl":                 {"sysctl: {name: x, value: 1, sysctl_file: etc/sysctl.conf}", `pb.yml:3:35: sysctl_file "etc/sysctl.conf" must be an absolute path on the host`},
		"sysvinit":               {"sysvinit: {name: cron, runlevels: {a: 1}}", `pb.yml:3:30: argument runlevels: want a list, got a mapping`},
		"systemd":                {"systemd: {name: cron, enabled: maybe}", `pb.yml:3:29: argument enabled: want a boolean`},
		"systemd_service":        {"systemd_service: {name: cron, enabled: maybe}", `pb.yml:3:37: argument enabled: want a boolean`},
		"tempfile":               {"tempfile: {state: link}", `pb.yml:3:18: argument state: "link" is not one of file, directory`},
		"template":               {"template: {src: a.j2, dest: /tmp/x, mode: '0999'}", `pb.yml:3:43: mode "0999" is not octal`},
		"timezone":               {"timezone: {hwclock: utc}", `pb.yml:3:18: argument hwclock: "utc" is not one of local, UTC`},
		"tls":                    {"tls: {server: dash.example.com, cert_file: /c, key_file: /k, min_days: -1}", "pb.yml:3:68: min_days is -1; give a number of days, 0 or more"},
		"ufw":                    {"ufw: {rule: permit, port: 22}", `pb.yml:3:13: argument rule: "permit" is not one of allow, deny, limit, reject`},
		"unarchive":              {"unarchive: {src: a.tgz, dest: /x, list_files: maybe}", `pb.yml:3:41: argument list_files: want a boolean`},
		"uri":                    {"uri: {url: 'http://x', status_code: [ok]}", "pb.yml:3:30: status_code ok is not a number"},
		"user":                   {"user: {name: alice, uid: many}", `pb.yml:3:27: argument uid: want a whole number, got "many"`},
		"wait_for":               {"wait_for: {port: 70000}", "pb.yml:3:18: port 70000 is not a TCP port (1-65535)"},
		"wait_for_connection":    {"wait_for_connection: {timeout: 0}", "pb.yml:3:29: timeout is 0; give a number of seconds, 1 or more"},
		"yum":                    {"yum: {name: x, use_backend: yum5}", `pb.yml:3:22: argument use_backend: "yum5" is not one of auto, yum, yum4, dnf`},
		"yum_repository":         {"yum_repository: {name: x, state: gone}", `pb.yml:3:33: argument state: "gone" is not one of absent, present`},
	}
	for _, name := range modules.Names() {
		t.Run(name, func(t *testing.T) {
			c, ok := cases[name]
			if !ok {
				t.Fatalf("no bad-value case for module %s: add one", name)
			}
			src := "- hosts: all\n  tasks:\n    - " + c.task + "\n"
			_, err := ParsePlaybook("pb.yml", t.TempDir(), []byte(src))
			if err == nil || !IsValidation(err) {
				t.Fatalf("%s: want a validation error, got %v", c.task, err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s:\n got: %v\nwant: %s", c.task, err, c.want)
			}
		})
	}
}

// The value checks that the Dash Enterprise modules' hand-written readers
// made at run time are declared on their options: ferry validate refuses
// each bad literal at its own file:line:col.
func TestValidateRefusesDashEnterpriseValues(t *testing.T) {
	cases := []struct{ task, want string }{
		{"kurl: {bundle: /b, workdir: /w, private_address: not-an-ip}", `pb.yml:3:39: private_address "not-an-ip" is not an IPv4 address`},
		{"kurl: {bundle: b.tar.gz, workdir: /w}", `pb.yml:3:14: bundle "b.tar.gz" must be an absolute path on the host`},
		{"kurl: {bundle: /b, workdir: /w, timeout: 0}", "pb.yml:3:39: timeout is 0; give a number of seconds, 1 or more"},
		{"kurl: {bundle: /b, workdir: /w, flags: {private-address: 10.0.0.5}}", "pb.yml:3:39: flags: private-address is not allowed: set the private_address argument instead"},
		{"kurl: {bundle: /b, workdir: /w, preflight_ports: [6443/sctp]}", `pb.yml:3:39: preflight_ports entry "6443/sctp" is not PORT or PORT/udp`},
		{"kots_upload: {license_file: /l, airgap_bundle: /b, namespace: ''}", "pb.yml:3:58: namespace is empty; kots install would prompt for it and hang"},
		{"kots_upload: {license_file: /l, airgap_bundle: /b, namespace: Plotly_System}", `pb.yml:3:58: namespace "Plotly_System" is not a Kubernetes namespace name`},
		{"kots_upload: {license_file: /l, airgap_bundle: /b, kots_bin: \"kubectl 'kots\"}", `pb.yml:3:58: kots_bin "kubectl 'kots" is not a command`},
		{"kots_upload: {license_file: /l, airgap_bundle: /b, admin_console_password: abc}", "pb.yml:3:58: admin_console_password must be at least 6 characters"},
		{"kots_upload: {license_file: /l, airgap_bundle: /b, config_values: {a: {valu: x}}}", `pb.yml:3:58: config_values.a: "valu" is not a ConfigValues field`},
		{"kots_release: {bundle: b.airgap, config_values: {a: [x]}}", "pb.yml:3:40: "},
		{"keycloak_user: {server: dash.example.com, username: alice, client_roles: [{name: admin}]}", "pb.yml:3:66: client_roles entry map[name:admin] is a mapping; give each role by its name"},
		{"keycloak_user: {server: dash.example.com, username: alice, client_roles: ['a/b']}", `pb.yml:3:66: client_roles entry "a/b" is not a role name`},
		{"keycloak_user: {server: dash.example.com, username: alice, admin_secret: {nmae: x}}", "pb.yml:3:81: argument admin_secret: admin_secret has no argument \"nmae\"; did you mean `name`?"},
		{"keycloak_user: {server: dash.example.com, username: 'a/b'}", `pb.yml:3:49: username "a/b" is empty or has a '/'`},
		{"keycloak_user: {url: 'ftp://auth', username: alice}", `pb.yml:3:23: url "ftp://auth" is not an http(s) address`},
		{"keycloak_user: {server: dash.example.com, username: alice, node_address: 'a b:1'}", `pb.yml:3:66: node_address "a b:1" is not host[:port]`},
		{"keycloak_user: {server: dash.example.com, username: alice, password_probe: true}", "pb.yml:3:66: password_probe only applies with update_password: always"},
	}
	for _, c := range cases {
		src := "- hosts: all\n  tasks:\n    - " + c.task + "\n"
		_, err := ParsePlaybook("pb.yml", t.TempDir(), []byte(src))
		if err == nil || !IsValidation(err) {
			t.Errorf("%s: want a validation error, got %v", c.task, err)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\n got: %v\nwant: %s", c.task, err, c.want)
		}
	}
	// The rule reads a template only once it is rendered.
	src := "- hosts: all\n  tasks:\n    - keycloak_user: {server: dash.example.com, username: alice, password_probe: '{{ probe }}'}\n"
	if _, err := ParsePlaybook("pb.yml", t.TempDir(), []byte(src)); err != nil {
		t.Errorf("a templated password_probe is refused before the run: %v", err)
	}
}

// A templated value is checked the moment it is rendered, before the module
// runs: the task fails naming the argument, and nothing of kurl ran.
func TestTemplatedValueIsCheckedWhenBound(t *testing.T) {
	pb := `
- hosts: web
  gather_facts: false
  vars:
    addr: not-an-ip
  tasks:
    - kurl: {bundle: /nonexistent/b.tar.gz, workdir: /nonexistent/w, private_address: "{{ addr }}"}
`
	r := runPlaybook(t, pb, "[web]\nweb1 ansible_connection=local\n", nil)
	if r.code != 2 {
		t.Errorf("exit %d, want 2", r.code)
	}
	r.mustContain(t, `site.yml:7:7) on web1: private_address \"not-an-ip\" is not an IPv4 address; give one such as 10.0.0.5`)
	if strings.Contains(r.stdout+r.stderr, "preflight") {
		t.Errorf("kurl ran its preflight despite the bad value:\n%s", r.stdout)
	}
}
