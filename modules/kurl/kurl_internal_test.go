package kurl

import (
	"github.com/ferry-sh/ferry/modules"
	"strings"
	"testing"
)

// A healthy host as the probe script reports it; the tests change lines.
const goodKurlProbes = `uid=0
arch=x86_64
os_id=ubuntu
os_version=22.04
cpus=4
memtotal_kb=16384000
swaptotal_kb=0
selinux=absent
firewalld=absent
addr=lo 127.0.0.1/8
addr=eth0 192.0.2.2/24
addr=docker0 172.17.0.1/16
route=192.0.2.0/24 eth0
route=172.17.0.0/16 docker0
disk=270553174016 17671045120 80122249216 /var/lib/kubelet
disk=270553174016 17671045120 80122249216 /var/lib/containerd
disk=270553174016 17671045120 80122249216 /var/lib/etcd
disk=270553174016 17671045120 80122249216 /var/log/apiserver
disk=270553174016 17671045120 80122249216 /var/lib/kurl
disk=270553174016 17671045120 80122249216 /
listen=tcp 0.0.0.0:22
listen=tcp 127.0.0.1:37219
listen=udp 127.0.0.53%lo:53
nameserver=10.255.255.53
`

func kurlTestOptions(t *testing.T, extra map[string]any) kurlOptions {
	t.Helper()
	raw := map[string]any{"bundle": "/b.tar.gz", "workdir": "/w"}
	for k, v := range extra {
		raw[k] = v
	}
	args, err := kurlModule{}.Spec().Bind(raw)
	if err != nil {
		t.Fatal(err)
	}
	a, err := modules.Decode[kurlArgs](args)
	if err != nil {
		t.Fatal(err)
	}
	o, err := kurlOptionsOf(a)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// withProbes replaces the probe lines whose key=... prefix matches, and
// appends the lines that match nothing.
func withProbes(lines ...string) string {
	out := goodKurlProbes
	for _, l := range lines {
		prefix, _, _ := strings.Cut(l, " ")
		if strings.Contains(prefix, "=") && !strings.HasPrefix(l, "listen=") && !strings.HasPrefix(l, "addr=") && !strings.HasPrefix(l, "route=") {
			key, _, _ := strings.Cut(l, "=")
			var kept []string
			for _, old := range strings.Split(out, "\n") {
				if !strings.HasPrefix(old, key+"=") || (key == "disk" && !strings.HasSuffix(old, " "+strings.Fields(l)[3])) {
					kept = append(kept, old)
				}
			}
			out = strings.Join(kept, "\n")
		}
		out += l + "\n"
	}
	return out
}

func TestKurlPreflights(t *testing.T) {
	tests := []struct {
		name    string
		probes  string
		args    map[string]any
		check   string // the preflight that matters
		status  string
		message string // part of its message
		addr    string // the private address chosen
	}{
		{"healthy host picks its only interface", goodKurlProbes, nil, "Private address", "pass", "private-address=192.0.2.2 (the only interface, eth0)", "192.0.2.2"},
		{"docker0 is not counted", goodKurlProbes, nil, "Network interfaces", "pass", "1 non-loopback interface(s): eth0 192.0.2.2", "192.0.2.2"},
		{"two interfaces need private_address", withProbes("addr=eth1 10.1.0.4/24"), nil, "Private address", "fail", "set private_address to one of them", ""},
		{"two interfaces with private_address", withProbes("addr=eth1 10.1.0.4/24"), map[string]any{"private_address": "10.1.0.4"}, "Private address", "pass", "10.1.0.4 is an address of this host", "10.1.0.4"},
		{"private_address not on the host", goodKurlProbes, map[string]any{"private_address": "10.9.9.9"}, "Private address", "fail", "10.9.9.9 is not an address of this host (its interfaces: eth0 192.0.2.2)", "10.9.9.9"},
		{"no interface", "uid=0\naddr=lo 127.0.0.1/8\n", nil, "Network interfaces", "fail", "no non-loopback IPv4 interface", ""},
		{"no ip tool", withProbes("ip=missing"), map[string]any{"private_address": "192.0.2.2"}, "Network interfaces", "warn", "`ip` is not installed", "192.0.2.2"},
		{"not root", withProbes("uid=1000"), nil, "Root user", "fail", "set become: true", "192.0.2.2"},
		{"one CPU", withProbes("cpus=1"), nil, "Number of CPUs", "fail", "At least 2 CPU cores are required", "192.0.2.2"},
		{"two CPUs", withProbes("cpus=2"), nil, "Number of CPUs", "warn", "At least 4 CPU cores are recommended (found 2)", "192.0.2.2"},
		{"3 GB of memory", withProbes("memtotal_kb=3000000"), nil, "Amount of Memory", "fail", "At least 4G of memory is required", "192.0.2.2"},
		{"6 GB of memory", withProbes("memtotal_kb=6000000"), nil, "Amount of Memory", "warn", "At least 8G of memory is recommended", "192.0.2.2"},
		{"small kubelet disk", withProbes("disk=21474836480 1073741824 20401094656 /var/lib/kubelet"), nil,
			"Disk space /var/lib/kubelet", "fail", "has less than 30Gi of total space", "192.0.2.2"},
		{"full kubelet disk", withProbes("disk=107374182400 91268055040 16106127360 /var/lib/kubelet"), nil,
			"Disk space /var/lib/kubelet", "fail", "is more than 80% full (85%)", "192.0.2.2"},
		{"busy containerd disk", withProbes("disk=107374182400 75161927680 32212254720 /var/lib/containerd"), nil,
			"Disk space /var/lib/containerd", "warn", "is more than 60% full (70%)", "192.0.2.2"},
		{"little room for kurl", withProbes("disk=270553174016 265000000000 5553174016 /var/lib/kurl"), nil,
			"Disk space /var/lib/kurl", "warn", "has 5.6 GB free; kURL recommends 10 GB", "192.0.2.2"},
		{"small root disk", withProbes("disk=53687091200 10737418240 42949672960 /"), nil,
			"Disk space /", "warn", "kURL needs at least 100 GB", "192.0.2.2"},
		{"kurl-install-directory moves the kurl dir", withProbes("disk=270553174016 265000000000 5553174016 /opt/kurl"),
			map[string]any{"flags": map[string]any{"kurl-install-directory": "/opt"}}, "Disk space /opt/kurl", "warn", "kURL recommends", "192.0.2.2"},
		{"kurl-install-directory missing", withProbes("installdir=no"),
			map[string]any{"flags": map[string]any{"kurl-install-directory": "/opt"}}, "kURL installation directory", "fail", "/opt does not exist", "192.0.2.2"},
		{"taken kubelet port", withProbes("listen=tcp 127.0.0.1:10250"), nil, "Port 10250/tcp", "fail", "port 10250/tcp is in use (listening on 127.0.0.1:10250)", "192.0.2.2"},
		{"taken API port on IPv6", withProbes("listen=tcp [::]:6443"), nil, "Port 6443/tcp", "fail", "listening on [::]:6443", "192.0.2.2"},
		{"UDP 8472 taken by TCP is free", withProbes("listen=tcp 0.0.0.0:8472"), map[string]any{"preflight_ports": []any{"8472/udp"}}, "Port 8472/udp", "pass", "is free", "192.0.2.2"},
		{"flannel port taken", withProbes("listen=udp 0.0.0.0:8472"), map[string]any{"preflight_ports": []any{"8472/udp"}}, "Port 8472/udp", "fail", "in use", "192.0.2.2"},
		{"no ss", withProbes("ss=missing"), nil, "Ports", "warn", "`ss` is not installed", "192.0.2.2"},
		{"unsupported distribution", withProbes("os_id=debian", "os_version=12"), nil, "Operating system", "fail",
			"kURL stops with: Kubernetes install is not supported on debian 12", "192.0.2.2"},
		{"host packages not shipped", withProbes("os_id=ubuntu", "os_version=24.04"), nil, "Operating system", "warn",
			"kURL cannot install its host packages from the airgap bundle", "192.0.2.2"},
		{"RHEL 9", withProbes("os_id=rhel", "os_version=9.4"), nil, "Operating system", "warn", "Host packages are missing", "192.0.2.2"},
		{"RHEL 8.10", withProbes("os_id=rhel", "os_version=8.10"), nil, "Operating system", "pass", "is supported by kURL", "192.0.2.2"},
		{"end of life", withProbes("os_id=centos", "os_version=7.9"), nil, "Operating system", "warn", "best effort", "192.0.2.2"},
		{"swap on", withProbes("swaptotal_kb=2097152"), nil, "Swap", "warn", "swap is on (2.1 GB); kURL turns it off", "192.0.2.2"},
		{"SELinux enforcing", withProbes("selinux=Enforcing"), nil, "SELinux", "warn", "kURL sets it to permissive", "192.0.2.2"},
		{"SELinux kept enforcing", withProbes("selinux=Enforcing"), map[string]any{"flags": map[string]any{"preserve-selinux-config": true}},
			"SELinux", "warn", "preserve-selinux-config keeps it so", "192.0.2.2"},
		{"SELinux absent", goodKurlProbes, nil, "SELinux", "pass", "not installed", "192.0.2.2"},
		{"firewalld running", withProbes("firewalld=running"), nil, "firewalld", "warn", "kURL stops and disables it", "192.0.2.2"},
		{"firewalld stopped", withProbes("firewalld=not running"), nil, "firewalld", "pass", "firewalld is not running", "192.0.2.2"},
		{"loopback nameserver only", withProbes("nameserver=127.0.0.53"), nil, "Nameserver", "warn", "no non-loopback nameserver", "192.0.2.2"},
		{"host network in the service range", withProbes("addr=eth1 10.96.8.4/24"), map[string]any{"private_address": "192.0.2.2"},
			"Subnet overlap", "fail", "10.96.8.0/24 (eth1) overlaps the service range 10.96.0.0/16", "192.0.2.2"},
		{"routed network in the pod range", withProbes("route=10.0.0.0/8 eth0"), nil,
			"Subnet overlap", "fail", "10.0.0.0/8 (eth0) overlaps the service range 10.96.0.0/16; 10.0.0.0/8 (eth0) overlaps the pod range 10.32.0.0/20", "192.0.2.2"},
		{"custom ranges", withProbes("route=10.0.0.0/8 eth0"), map[string]any{"service_cidr": "172.30.0.0/16", "pod_cidr": "172.31.0.0/16"},
			"Subnet overlap", "pass", "172.30.0.0/16", "192.0.2.2"},
		{"docker bridge is not a host network", withProbes("addr=docker0 10.32.0.1/16"), nil, "Subnet overlap", "pass", "no host network overlaps", "192.0.2.2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := kurlTestOptions(t, tt.args)
			addr, checks := kurlPreflights(parseKurlProbes(tt.probes), o)
			if addr != tt.addr {
				t.Errorf("private address = %q, want %q", addr, tt.addr)
			}
			for _, c := range checks {
				if c.name == tt.check {
					if c.status != tt.status || !strings.Contains(c.message, tt.message) {
						t.Errorf("%s = %s %q, want %s containing %q", c.name, c.status, c.message, tt.status, tt.message)
					}
					return
				}
			}
			t.Errorf("no check %q in %+v", tt.check, checks)
		})
	}
}

// TestKurlPreflightsHealthyHost: nothing on a healthy host blocks, and every
// default port is checked.
func TestKurlPreflightsHealthyHost(t *testing.T) {
	o := kurlTestOptions(t, nil)
	_, checks := kurlPreflights(parseKurlProbes(goodKurlProbes), o)
	if msg := blockingPreflights(checks, o); msg != "" {
		t.Errorf("a healthy host is blocked: %s", msg)
	}
	names := map[string]bool{}
	for _, c := range checks {
		names[c.name] = true
		if c.status != "pass" {
			t.Errorf("%s is %s on a healthy host: %s", c.name, c.status, c.message)
		}
	}
	for _, p := range []string{"6443/tcp", "2379/tcp", "2380/tcp", "2381/tcp", "10248/tcp", "10249/tcp", "10250/tcp", "10257/tcp", "10259/tcp"} {
		if !names["Port "+p] {
			t.Errorf("default port %s is not checked", p)
		}
	}
}

// TestKurlBlocking: kURL's semantics of host-preflight-ignore and
// host-preflight-enforce-warnings; hard checks block regardless.
func TestKurlBlocking(t *testing.T) {
	fail := kurlCheck{name: "Port 10250/tcp", status: "fail", message: "in use"}
	warn := kurlCheck{name: "Swap", status: "warn", message: "swap is on"}
	hard := kurlCheck{name: "Root user", status: "fail", message: "not root", hard: true}
	tests := []struct {
		name   string
		flags  map[string]any
		checks []kurlCheck
		block  string // "" for none, else a part of the message
	}{
		{"failure blocks", nil, []kurlCheck{fail, warn}, "Port 10250/tcp: in use; fix them and run again, or set flags: {host-preflight-ignore: true}"},
		{"warning passes", nil, []kurlCheck{warn}, ""},
		{"ignore lets failures through", map[string]any{"host-preflight-ignore": true}, []kurlCheck{fail, warn}, ""},
		{"legacy ignore", map[string]any{"preflight-ignore": true}, []kurlCheck{fail}, ""},
		{"ignore does not pass hard checks", map[string]any{"host-preflight-ignore": true}, []kurlCheck{hard}, "Root user: not root; fix them and run again"},
		{"enforced warnings block", map[string]any{"host-preflight-enforce-warnings": true}, []kurlCheck{warn}, "Swap: swap is on"},
		// A legacy no-op in kURL (bashmerge/main.go:220), not enforce-warnings.
		{"preflight-ignore-warnings changes nothing", map[string]any{"preflight-ignore-warnings": true}, []kurlCheck{warn}, ""},
		{"ignore wins over enforce", map[string]any{"host-preflight-ignore": true, "host-preflight-enforce-warnings": true}, []kurlCheck{warn}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := kurlTestOptions(t, map[string]any{"flags": tt.flags})
			msg := blockingPreflights(tt.checks, o)
			if (tt.block == "") != (msg == "") || !strings.Contains(msg, tt.block) {
				t.Errorf("blocking = %q, want %q", msg, tt.block)
			}
		})
	}
}

// TestKurlFlagRendering: flags become install.sh arguments after the three
// ferry always passes, sorted, quoted for the shell.
func TestKurlFlagRendering(t *testing.T) {
	o := kurlTestOptions(t, map[string]any{"workdir": "/opt/kurl bundle", "flags": map[string]any{
		"public-address": "203.0.113.7", "preserve-selinux-config": true, "preserve-docker-config": false,
		"labels": "role=dash zone", "kubernetes-max-pods-per-node": 200, "host-preflight-ignore": "yes",
	}})
	want := "cd '/opt/kurl bundle' && cat install.sh | bash -s airgap private-address=10.0.0.4 yes host-preflight-ignore " +
		"kubernetes-max-pods-per-node=200 'labels=role=dash zone' preserve-selinux-config public-address=203.0.113.7"
	if got := o.installScript("10.0.0.4"); got != want {
		t.Errorf("installScript =\n%s\nwant\n%s", got, want)
	}
	if got := o.kotsadmURL("10.0.0.4"); got != "http://203.0.113.7:8800" {
		t.Errorf("kotsadmURL with public-address = %s", got)
	}
}

// TestKurlOutput: colours stripped, the password learned, registered and
// masked on every line, the Admin Console URL read, split writes joined.
func TestKurlOutput(t *testing.T) {
	var events, secrets []string
	h := &modules.Host{Events: func(e modules.Event) { events = append(events, e.Line) }, Secret: func(s string) { secrets = append(secrets, s) }}
	sink := &kurlOutput{h: h}
	w := &kurlLines{sink: sink}
	for _, chunk := range []string{
		"\t\t\x1b[0;32mInstallation\x1b[0m\n\t\t\x1b[0;32m  Complete ✔\x1b[0m\n",
		"Kotsadm: \x1b[0;32mhttp://10.0.0.4:8800\x1b[0m\nLogin with password (will not be shown again): \x1b[0;32mAbC12",
		"3xyZ\x1b[0m\r\n", "echo AbC123xyZ again\n", "\x1b]0;title\x07no newline",
	} {
		if _, err := w.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	w.flush()
	want := []string{"\t\tInstallation", "\t\t  Complete ✔", "Kotsadm: http://10.0.0.4:8800",
		"Login with password (will not be shown again): ********", "echo ******** again", "no newline"}
	if strings.Join(events, "|") != strings.Join(want, "|") {
		t.Errorf("events =\n%q\nwant\n%q", events, want)
	}
	if sink.password != "AbC123xyZ" || len(secrets) != 1 || secrets[0] != "AbC123xyZ" {
		t.Errorf("password %q, secrets %q", sink.password, secrets)
	}
	if sink.kotsadmURL != "http://10.0.0.4:8800" {
		t.Errorf("kotsadm URL %q", sink.kotsadmURL)
	}
	if strings.Join(sink.tail, "|") != strings.Join(want, "|") {
		t.Errorf("tail %q", sink.tail)
	}
}

func TestKurlAPIServerVersion(t *testing.T) {
	tests := []struct{ manifest, want string }{
		{"spec:\n  containers:\n  - image: registry.k8s.io/kube-apiserver:v1.31.14\n", "1.31.14"},
		{"    image: kurl.sh/kube-apiserver:v1.30.2@sha256:abc\n", "1.30.2"},
		{"    image: 10.96.0.10:443/kube-apiserver:1.29.0\n", "1.29.0"},
		{"    # image: none\n", ""},
	}
	for _, tt := range tests {
		m := apiserverVersion.FindStringSubmatch(tt.manifest)
		got := ""
		if m != nil {
			got = m[1]
		}
		if got != tt.want {
			t.Errorf("version of %q = %q, want %q", tt.manifest, got, tt.want)
		}
	}
}
