package probe

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// setup's gather_subset and filter, as ansible-core 2.14's: gather_subset
// picks fact collectors (collector.get_collector_names), filter keeps the
// facts whose names match one of its fnmatch patterns. ferry gathers its
// facts in one probe either way; these only choose what is returned.

// minCollectors are Ansible's "min" subset (default_collectors.py's
// minimal_gather_subset).
var minCollectors = []string{"apparmor", "caps", "cmdline", "date_time", "distribution", "dns", "env", "fips",
	"local", "lsb", "pkg_mgr", "platform", "python", "selinux", "service_mgr", "ssh_pub_keys", "user"}

// otherCollectors are the rest of "all" on Linux (facter and ohai give
// nothing without those tools).
var otherCollectors = []string{"chroot", "loadavg", "virtual", "hardware", "network", "fibre_channel_wwn",
	"iscsi", "nvme", "facter", "ohai"}

// subsetNames are the names Ansible's gather_subset takes on Linux, those
// ferry has no facts of included (they select nothing more).
var subsetNames = append(append([]string{"all", "min"}, minCollectors...), append(otherCollectors,
	"os_release", "system_capabilities")...)

// collectorNeeds are the collectors' required_facts: collectors that run
// with them whatever the subset (collector.py's _solve_deps).
var collectorNeeds = map[string][]string{"hardware": {"platform"}, "network": {"distribution", "platform"},
	"pkg_mgr": {"distribution"}, "service_mgr": {"platform", "distribution"}}

// checkSubsets refuses a gather_subset name Ansible does not know (it fails
// the task with "Bad subset").
func checkSubsets(v any) error {
	items, _ := v.([]any)
	for _, it := range items {
		s := strings.TrimPrefix(fmt.Sprint(it), "!")
		if !slices.Contains(subsetNames, s) {
			return fmt.Errorf("gather_subset %q is not a subset; give all, min, hardware, network, virtual or a collector (%s), with ! to leave one out",
				fmt.Sprint(it), strings.Join(subsetNames[2:], ", "))
		}
	}
	return nil
}

// collectors is get_collector_names for ferry's collectors: "min" first,
// then each subset added or (with !) left out, an explicitly added one
// winning over a leaving out.
func collectors(subsets []string) map[string]bool {
	if len(subsets) == 0 {
		subsets = []string{"all"}
	}
	add, exclude, explicit := map[string]bool{}, map[string]bool{}, map[string]bool{}
	set := func(m map[string]bool, names ...string) {
		for _, n := range names {
			m[n] = true
		}
	}
	for _, s := range append([]string{"min"}, subsets...) {
		name, out := strings.CutPrefix(s, "!")
		switch {
		case name == "min" && !out:
			set(add, minCollectors...)
		case name == "all" && !out:
			set(add, minCollectors...)
			set(add, otherCollectors...)
		case name == "min":
			set(exclude, minCollectors...)
		case name == "all":
			set(exclude, otherCollectors...)
		case out:
			set(exclude, aliasOf(name))
		default:
			set(add, aliasOf(name))
			set(explicit, aliasOf(name))
		}
	}
	for n := range exclude {
		if !explicit[n] {
			delete(add, n)
		}
	}
	for n := range add {
		set(add, collectorNeeds[n]...)
	}
	add["gather_subset"] = true // the metadata's, always there
	return add
}

// aliasOf is the collector a subset name stands for where it is not the
// collector's own name.
func aliasOf(name string) string {
	switch name {
	case "os_release":
		return "distribution"
	case "system_capabilities":
		return "caps"
	}
	return name
}

// collectorOf is the collector an ansible_ fact of ferry's comes from.
func collectorOf(fact string, interfaces []string) string {
	name := strings.TrimPrefix(fact, "ansible_")
	if c, ok := factCollectors[name]; ok {
		return c
	}
	switch {
	case strings.HasPrefix(name, "distribution") || name == "os_family":
		return "distribution"
	case strings.HasPrefix(name, "user_") || strings.HasPrefix(name, "real_") || strings.HasPrefix(name, "effective_"):
		return "user"
	case strings.HasPrefix(name, "processor") || strings.HasSuffix(name, "_mb") || name == "mounts" ||
		strings.HasPrefix(name, "bios_") || strings.HasPrefix(name, "board_") || strings.HasPrefix(name, "chassis_") ||
		strings.HasPrefix(name, "product_"):
		return "hardware"
	case strings.HasPrefix(name, "ssh_host_key_"):
		return "ssh_pub_keys"
	case strings.HasPrefix(name, "system_capabilities"):
		return "caps"
	case strings.HasPrefix(name, "virtualization_"):
		return "virtual"
	case strings.HasPrefix(name, "selinux"):
		return "selinux"
	case name == "interfaces" || strings.HasPrefix(name, "all_ipv") || strings.HasPrefix(name, "default_ipv") ||
		slices.Contains(interfaces, name):
		return "network"
	}
	return "platform"
}

// factCollectors names the collector of the facts not named after it.
var factCollectors = map[string]string{
	"pkg_mgr": "pkg_mgr", "service_mgr": "service_mgr", "python": "python", "env": "env",
	"date_time": "date_time", "dns": "dns", "cmdline": "cmdline", "proc_cmdline": "cmdline", "lsb": "lsb",
	"apparmor": "apparmor", "fips": "fips", "local": "local", "loadavg": "loadavg", "is_chroot": "chroot",
	"hostnqn": "nvme", "iscsi_iqn": "iscsi", "fibre_channel_wwn": "fibre_channel_wwn",
	"gather_subset": "gather_subset", "module_setup": "gather_subset", "form_factor": "hardware", "lvm": "hardware", "system_vendor": "hardware", "uptime_seconds": "hardware",
}

// narrowFacts keeps the facts of the chosen collectors whose names match a
// filter pattern (no patterns: all of them), and returns the collectors.
func narrowFacts(facts map[string]any, subsets, filters []string) map[string]bool {
	chosen := collectors(subsets)
	var ifaces []string
	if l, ok := facts["ansible_interfaces"].([]any); ok {
		for _, i := range l {
			ifaces = append(ifaces, strings.ReplaceAll(fmt.Sprint(i), "-", "_"))
		}
	}
	for name := range facts {
		if !chosen[collectorOf(name, ifaces)] || !matchesAny(name, filters) {
			delete(facts, name)
		}
	}
	return chosen
}

func matchesAny(name string, patterns []string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok || p == "*" || p == "" {
			return true
		}
		// A pattern matches with ansible_ before it too (ansible_collector.py's _filter).
		if !strings.HasPrefix(p, "ansible_") && !strings.HasPrefix(p, "facter") && !strings.HasPrefix(p, "ohai") {
			if ok, _ := path.Match("ansible_"+p, name); ok {
				return true
			}
		}
	}
	return false
}
