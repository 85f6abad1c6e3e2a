package runner

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/inventory"
	"github.com/ferry-sh/ferry/runner/template"
)

// The engine's per host and task work: building a host's scope and resolving
// variables in it, over a 1,000-host inventory with group_vars. One op is one
// host's task; the cost must not grow with the number of hosts.
//
//	go test -run '^$' -bench 'Resolve|Hostvars|Parse' -benchmem ./runner/

// benchRun is a runner over an inventory of n hosts in 10 groups, with
// group_vars for all (some templated) and for each group, ready to build
// scopes for a play over every host.
func benchRun(b *testing.B, n int) (*Runner, *playRun, []*hostState) {
	b.Helper()
	dir := b.TempDir()
	var ini strings.Builder
	write := func(name, content string) {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for g := 0; g < 10; g++ {
		fmt.Fprintf(&ini, "[g%d]\n", g)
		for i := g; i < n; i += 10 {
			fmt.Fprintf(&ini, "h%04d ansible_host=10.0.%d.%d\n", i, i/250, i%250+1)
		}
		write(fmt.Sprintf("group_vars/g%d.yml", g), fmt.Sprintf("region: region-%d\nrack: \"{{ region }}-r%d\"\nsetting_%d: x\n", g, g, g))
	}
	write("hosts", ini.String())
	var all strings.Builder
	all.WriteString("domain: example.com\napp_port: 8443\napp_url: \"https://{{ inventory_hostname }}.{{ domain }}:{{ app_port }}\"\n")
	for k := 0; k < 30; k++ {
		fmt.Fprintf(&all, "setting_%d: \"value {{ domain }} %d\"\n", k, k)
	}
	write("group_vars/all.yml", all.String())
	inv, err := inventory.Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	r := New(Options{Inventory: inv})
	r.engine = template.New(template.Options{BaseDir: dir})
	var hosts []*hostState
	for _, ih := range inv.Hosts() {
		hosts = append(hosts, r.host(ih))
	}
	if len(hosts) != n {
		b.Fatalf("inventory has %d hosts, want %d", len(hosts), n)
	}
	pr := &playRun{play: &Play{Name: "bench", Hosts: "all"}, hosts: hosts, allHosts: hosts}
	return r, pr, hosts
}

// benchRender renders text in the scope of a task on host after host.
func benchRender(b *testing.B, n int, text, want string) {
	r, pr, hosts := benchRun(b, n)
	t := &Task{Module: "debug", Vars: map[string]any{"greeting": "hello {{ inventory_hostname_short }}"}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h := hosts[i%len(hosts)]
		out, err := r.scope(pr, t, h).render(text)
		if err != nil {
			b.Fatal(err)
		}
		if s, _ := out.(string); !strings.Contains(s, want) {
			b.Fatalf("rendered %q, want it to contain %q", s, want)
		}
	}
}

// BenchmarkResolve1000Hosts: group_vars (templated over others), task vars
// and magic variables, on each of 1,000 hosts in turn.
func BenchmarkResolve1000Hosts(b *testing.B) {
	benchRender(b, 1000, "{{ app_url }} {{ rack }} {{ setting_7 }} {{ greeting }} {{ group_names | length }}", "https://h")
}

// BenchmarkResolve100Hosts is the same at 100 hosts: per host, it must cost
// the same as at 1,000.
func BenchmarkResolve100Hosts(b *testing.B) {
	benchRender(b, 100, "{{ app_url }} {{ rack }} {{ setting_7 }} {{ greeting }} {{ group_names | length }}", "https://h")
}

// BenchmarkHostvars1000Hosts reads another host's variable through hostvars
// and groups on each of 1,000 hosts in turn. (A plain variable: hostvars
// values are not templated yet, unlike Ansible's.)
func BenchmarkHostvars1000Hosts(b *testing.B) {
	benchRender(b, 1000, "{{ hostvars[groups['g3'][0]]['region'] }} {{ groups['all'] | length }}", "region-3 1000")
}

// BenchmarkHostvars100Hosts: per host, the same cost as at 1,000.
func BenchmarkHostvars100Hosts(b *testing.B) {
	benchRender(b, 100, "{{ hostvars[groups['g3'][0]]['region'] }} {{ groups['all'] | length }}", "region-3 100")
}

// BenchmarkParsePlaybook parses a 200-task playbook using most task keywords.
func BenchmarkParsePlaybook(b *testing.B) {
	var s strings.Builder
	s.WriteString("- name: bench\n  hosts: all\n  gather_facts: false\n  vars:\n    base: /opt/app\n  tasks:\n")
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&s, `    - name: command %[1]d
      command: "echo {{ base }} %[1]d"
      register: out_%[1]d
      changed_when: false
    - name: file %[1]d
      file:
        path: "{{ base }}/dir%[1]d"
        state: directory
        mode: "0755"
      when: out_%[1]d.rc == 0
    - name: loop %[1]d
      debug:
        msg: "{{ item }}"
      loop: [a, b, c]
      tags: [loop]
    - block:
        - name: shell %[1]d
          shell: "true"
      rescue:
        - debug: msg=rescued
    - name: fact %[1]d
      set_fact:
        value_%[1]d: "{{ out_%[1]d.stdout | default('') }}"
`, i)
	}
	data := []byte(s.String())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pb, err := ParsePlaybook("bench.yml", ".", data)
		if err != nil {
			b.Fatal(err)
		}
		if n := len(pb.Plays[0].Tasks); n != 200 {
			b.Fatalf("parsed %d tasks, want 200", n)
		}
	}
}
