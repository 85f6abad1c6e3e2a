package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Under strategy free web1 waits for a file that web2 writes in a later
// task: linear would keep web2 at the first task until web1 timed out.
// Both hosts' throttled task holds a lock directory: throttle 1 applies
// across hosts, each running on its own. The playbook bounds the wait, so
// a regression fails instead of hanging.
func TestStrategyFreeLetsAHostRunAhead(t *testing.T) {
	pb := `
- hosts: web
  strategy: free
  gather_facts: false
  tasks:
    - name: web1 waits for web2
      wait_for:
        path: DIR/from-web2
        timeout: 30
      when: inventory_hostname == 'web1'
    - name: web2 writes
      copy:
        dest: DIR/from-web2
        content: "x\n"
      when: inventory_hostname == 'web2'
    - name: one host at a time
      shell: mkdir DIR/lock && sleep 0.2 && rmdir DIR/lock && touch DIR/done-{{ inventory_hostname }}
      throttle: 1
`
	r := runPlaybook(t, pb, localInventory, nil)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, f := range []string{"done-web1", "done-web2"} {
		if _, err := os.Stat(filepath.Join(r.dir, f)); err != nil {
			t.Errorf("%s: %v\n%s", f, err, r.stdout)
		}
	}
	if n := strings.Count(r.stdout, "TASK [web1 waits for web2]"); n < 1 {
		t.Errorf("the banner is missing:\n%s", r.stdout)
	}
}

// A module that bypasses the host loop cannot run under strategy free:
// ferry refuses it before the run, where Ansible fails when it reaches it.
func TestStrategyFreeRefusesAddHost(t *testing.T) {
	pb := `
- hosts: web
  strategy: free
  gather_facts: false
  tasks:
    - add_host:
        name: new
    - group_by:
        key: g
`
	r := runPlaybook(t, pb, localInventory, nil)
	if r.code != ExitInvalid {
		t.Fatalf("exit %d, want %d\n%s%s", r.code, ExitInvalid, r.stdout, r.stderr)
	}
	r.mustContain(t, "site.yml:6:7", "module add_host bypasses the host loop", "Nothing was run")
	if strings.Contains(r.stderr, "site.yml:8") {
		t.Errorf("group_by is refused under free:\n%s", r.stderr)
	}
}

// group_by under strategy free: each host changes the inventory as its
// task ends while the others read it (groups, group_names, hostvars); run
// with -race. The next play sees every host's groups.
func TestStrategyFreeGroupBy(t *testing.T) {
	pb := `
- hosts: all
  strategy: free
  gather_facts: false
  tasks:
    - group_by:
        key: "by_{{ inventory_hostname }}"
        parents: [grouped]
      loop: [1, 2, 3]
    - debug:
        msg: "{{ inventory_hostname }} in {{ group_names | join(',') }} sees {{ groups | length }} groups, {{ hostvars | length }} hosts"
      loop: [1, 2, 3]
    - group_by:
        key: "again_{{ inventory_hostname }}"
- hosts: grouped
  gather_facts: false
  tasks:
    - debug:
        msg: "{{ inventory_hostname }}: {{ groups.grouped | sort | join(',') }} {{ group_names | select('match', 'again_') | join(',') }}"
`
	r := runPlaybook(t, pb, localInventory, nil)
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, h := range []string{"web1", "web2"} {
		r.mustContain(t, h+" in by_"+h+",", h+": web1,web2 again_"+h)
	}
}

// ansible-playbook shows the play's banner for each serial batch.
func TestSerialBatchesEachShowThePlayBanner(t *testing.T) {
	pb := `
- hosts: web
  name: batches
  serial: 1
  gather_facts: false
  tasks:
    - debug:
        msg: x
`
	r := runPlaybook(t, pb, localInventory, nil)
	if n := strings.Count(r.stdout, "PLAY [batches]"); r.code != 0 || n != 2 {
		t.Errorf("exit %d, %d play banners, want 2:\n%s%s", r.code, n, r.stdout, r.stderr)
	}
}

// Under strategy free a templated task name is rendered once, by the first
// host to run the task, and every host's banner shows that rendering, as
// free.py renders the task all hosts share in place.
func TestStrategyFreeTaskNameRenderedOnce(t *testing.T) {
	pb := `
- hosts: web
  strategy: free
  gather_facts: false
  tasks:
    - name: "named for {{ inventory_hostname }}"
      debug:
        msg: x
    - name: "again {{ inventory_hostname }}"
      debug:
        msg: y
`
	r := runPlaybook(t, pb, localInventory, nil)
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, prefix := range []string{"TASK [named for web", "TASK [again web"} {
		seen := map[string]bool{}
		for _, l := range strings.Split(r.stdout, "\n") {
			if strings.HasPrefix(l, prefix) {
				seen[l] = true
			}
		}
		if len(seen) != 1 {
			t.Errorf("%d renderings of %q, want 1:\n%s", len(seen), prefix, r.stdout)
		}
	}
}
