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

// minCollectors are the collectors of Ansible's "min" subset that ferry
// has facts of; the others of min (apparmor, caps, date_time, dns, env,
// lsb, selinux...) ferry does not gather.
var minCollectors = []string{"platform", "distribution", "pkg_mgr", "service_mgr", "user", "python"}

// subsetNames are the names Ansible's gather_subset takes on Linux, those
// ferry has no facts of included (they select nothing more).
var subsetNames = []string{"all", "min", "apparmor", "caps", "cmdline", "date_time", "distribution", "dns", "env",
	"facter", "fips", "hardware", "local", "lsb", "network", "ohai", "os_release", "pkg_mgr", "platform",
	"python", "selinux", "service_mgr", "ssh_pub_keys", "system_capabilities", "user", "virtual"}

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
	all := append(slices.Clone(minCollectors), "hardware", "network")
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
			set(add, all...)
		case name == "min":
			set(exclude, minCollectors...)
		case name == "all":
			set(exclude, "hardware", "network")
		case out:
			set(exclude, name)
		default:
			set(add, name)
			set(explicit, name)
		}
	}
	for n := range exclude {
		if !explicit[n] {
			delete(add, n)
		}
	}
	if add["hardware"] || add["network"] { // their collectors need these facts (_solve_deps)
		set(add, "platform", "distribution")
	}
	return add
}

// collectorOf is the collector an ansible_ fact of ferry's comes from.
func collectorOf(fact string, interfaces []string) string {
	name := strings.TrimPrefix(fact, "ansible_")
	switch {
	case strings.HasPrefix(name, "distribution") || name == "os_family":
		return "distribution"
	case name == "pkg_mgr", name == "service_mgr", name == "python":
		return name
	case strings.HasPrefix(name, "user_"):
		return "user"
	case strings.HasPrefix(name, "processor") || strings.HasSuffix(name, "_mb") || name == "mounts":
		return "hardware"
	case name == "interfaces" || strings.HasPrefix(name, "all_ipv") || strings.HasPrefix(name, "default_ipv") ||
		slices.Contains(interfaces, name):
		return "network"
	}
	return "platform"
}

// narrowFacts keeps the facts of the chosen collectors whose names match a
// filter pattern (no patterns: all of them).
func narrowFacts(facts map[string]any, subsets, filters []string) {
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
}

func matchesAny(name string, patterns []string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok || p == "*" {
			return true
		}
	}
	return false
}
