package probe_test

import (
	"encoding/json"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/sshtest"
)

// TestCompareSetupFacts gathers facts with ferry's setup and Ansible's on
// the same sshd host and compares them field by field: the names playbooks
// read (distribution, os_family, pkg_mgr, service_mgr, interfaces,
// default_ipv4, mounts, hostname, fqdn, processors, memory, user).
func TestCompareSetupFacts(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	playbook, _ := filepath.Abs(filepath.Join("testdata", "compare", "setup.yml"))
	f, a, ran := ansiblecmp.Both(t, ansiblecmp.Run{Playbook: playbook, Server: srv, Hosts: map[string]int{"node": 0}})
	if !ran {
		return
	}
	ansiblecmp.SameRecap(t, f, a)
	ansiblecmp.SameFields(t, f, a, "facts as variables", "node", "msg")
	prefix := "ansible_facts.ansible_"
	var fields []string
	for _, name := range []string{"hostname", "nodename", "fqdn", "system", "kernel", "kernel_version", "architecture",
		"machine", "processor_vcpus", "processor_nproc", "processor_count", "processor_cores",
		"processor_threads_per_core", "memtotal_mb", "swaptotal_mb", "distribution", "distribution_version",
		"distribution_major_version", "distribution_minor_version", "distribution_release", "os_family",
		"pkg_mgr", "service_mgr", "user_id", "user_uid", "user_gid", "user_dir", "user_shell",
		"default_ipv4", "lo.ipv4.address", "lo.device", "lo.mtu"} {
		fields = append(fields, prefix+name)
	}
	ansiblecmp.SameFields(t, f, a, "gather", "node", fields...)
	// Every interface as get_interfaces_info describes it, but for ethtool's
	// details, which ferry does not read.
	for _, name := range sortedList(t, a, "interfaces") {
		for _, k := range []string{"device", "active", "macaddress", "mtu", "type", "promisc", "speed", "module",
			"pciid", "ipv4", "ipv6"} {
			ansiblecmp.SameFields(t, f, a, "gather", "node", prefix+strings.ReplaceAll(name, "-", "_")+"."+k)
		}
	}
	ansiblecmp.SameFields(t, f, a, "gather", "node", prefix+"default_ipv6")
	for _, set := range []string{"interfaces", "all_ipv4_addresses", "all_ipv6_addresses"} {
		fs, as := sortedList(t, f, set), sortedList(t, a, set)
		if !slices.Equal(fs, as) {
			t.Errorf("ansible_%s: ferry %v, ansible %v", set, fs, as)
		}
	}
	// Mounts: the same filesystems, each described alike (free space moves
	// between the two runs, so only what stays put is compared).
	fm, am := mounts(t, f), mounts(t, a)
	if len(fm) != len(am) {
		t.Errorf("mounts: ferry %d %v, ansible %d %v", len(fm), fm, len(am), am)
	}
	for mnt, want := range am {
		got := fm[mnt]
		for _, k := range []string{"device", "fstype", "options", "size_total", "block_size", "block_total", "inode_total"} {
			if show(got[k]) != show(want[k]) {
				t.Errorf("mount %s: %s is %v in ferry, %v in ansible", mnt, k, got[k], want[k])
			}
		}
	}
}

func sortedList(t *testing.T, o ansiblecmp.Outcome, fact string) []string {
	v, _ := ansiblecmp.Field(o.Result(t, "gather", "node"), "ansible_facts.ansible_"+fact)
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	slices.Sort(out)
	return out
}

func mounts(t *testing.T, o ansiblecmp.Outcome) map[string]map[string]any {
	v, _ := ansiblecmp.Field(o.Result(t, "gather", "node"), "ansible_facts.ansible_mounts")
	out := map[string]map[string]any{}
	list, _ := v.([]any)
	for _, m := range list {
		mm := m.(map[string]any)
		out[mm["mount"].(string)] = mm
	}
	return out
}

func show(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestCompareSetupSubsets: gather_subset and filter choose the same facts
// in ferry as in Ansible, among the facts ferry gathers at all.
func TestCompareSetupSubsets(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	playbook, _ := filepath.Abs(filepath.Join("testdata", "compare", "setup_subset.yml"))
	f, a, ran := ansiblecmp.Both(t, ansiblecmp.Run{Playbook: playbook, Server: srv, Hosts: map[string]int{"node": 0}})
	if !ran {
		return
	}
	ansiblecmp.SameRecap(t, f, a)
	ours := factNames(t, f, "all", "node")
	for _, task := range []string{"all", "!all", "!all,!min,network", "!hardware", "!all,hardware", "!min", "filter", "filter string and subset"} {
		got, want := factNames(t, f, task, "node"), factNames(t, a, task, "node")
		want = slices.DeleteFunc(want, func(n string) bool { return !slices.Contains(ours, n) })
		if !slices.Equal(got, want) {
			t.Errorf("%s: ferry returns %v\nansible-playbook (of the facts ferry gathers) %v", task, got, want)
		}
	}
	if n := len(factNames(t, f, "filter", "node")); n != 14 {
		t.Errorf("filter kept %d facts, want the 5 _mb (memory_mb too), hostname and 8 distribution ones (distribution_file_* too)", n)
	}
}

func factNames(t *testing.T, o ansiblecmp.Outcome, task, host string) []string {
	facts, _ := ansiblecmp.Field(o.Result(t, task, host), "ansible_facts")
	m, _ := facts.(map[string]any)
	return slices.Sorted(maps.Keys(m))
}
