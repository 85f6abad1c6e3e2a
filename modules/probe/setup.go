package probe

import (
	"context"
	"fmt"
	"github.com/ferry-sh/ferry/internal/anylist"
	"strings"

	"github.com/ferry-sh/ferry/modules"
)

// setup gathers the facts of ansible-core 2.14's setup (gather_facts) in one
// round trip: OS, arch, processors, memory, disks, addresses, hostname, the
// user, environment, time, DNS, SELinux/AppArmor, virtualization and the
// local facts of fact_path, under Ansible's fact names.
type setup struct{}

func init() { modules.Register(setup{}) }

type setupOptions struct {
	GatherSubset []string `opt:"gather_subset" doc:"The fact collectors to return: all (the default), min, hardware, network, or a collector's name; !name leaves one out (!all keeps min: 2.14's minimal set)."`
	Filter       []string `opt:"filter" doc:"Return only the facts whose names match one of these shell patterns (ansible_*_mb)."`
	FactPath     string   `opt:"fact_path" default:"/etc/ansible/facts.d" doc:"The directory of local facts (ansible_local): each *.fact file is JSON or INI, or an executable printing either."`
}

func (setupOptions) OptionChecks() map[string]func(any) error {
	return map[string]func(any) error{"gather_subset": checkSubsets}
}

func (setup) Spec() modules.Spec {
	return modules.Spec{
		Name:    "setup",
		Summary: "Gather facts about the host: OS, architecture, CPUs, memory, mounts, addresses, hostname, environment, time, local facts.",
		Args:    modules.OptionsOf[setupOptions](),
	}
}

func (setup) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[setupOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	script := interpreterLine(h) + factScript + pythonScript + systemScript + distScript() + localScript(o.FactPath)
	out, err := h.Query(ctx, modules.Command{Shell: script})
	if err != nil {
		return modules.Result{}, err
	}
	if out.RC != 0 {
		return modules.Result{Failed: true, Msg: "gathering facts failed: " + strings.TrimSpace(out.Stderr)}, nil
	}
	g := parseGathered(out.Stdout)
	facts := g.facts()
	local, warnings, ok := g.localFacts(o.FactPath)
	if ok {
		facts["ansible_local"] = local
	}
	// ansible_collector.py's CollectorMetaDataCollector, which every subset has.
	facts["gather_subset"] = []any{"all"}
	if len(o.GatherSubset) > 0 {
		facts["gather_subset"] = anylist.Of(o.GatherSubset)
	}
	facts["module_setup"] = true
	if !narrowFacts(facts, o.GatherSubset, o.Filter)["local"] {
		warnings = nil // the local collector did not run
	}
	all := modules.PriorFacts(h) // a second setup (filtered) adds to the facts, as in Ansible
	for k, v := range facts {
		all[factVar(k)] = v
	}
	order := factOrder(all)
	facts["ansible_facts"] = modules.Ordered(all, order...)
	// Registered, ansible_facts keeps the ansible_ names, as setup returns
	// them; as a variable, ansible_facts drops the prefix (Ansible's
	// namespacing of facts).
	registered := map[string]any{}
	for k, v := range facts {
		if k != "ansible_facts" {
			registered[k] = v
		}
	}
	prefixed := make([]string, len(order))
	for i, k := range order {
		prefixed[i] = k // ansible_local, gather_subset, module_setup
		if _, ok := registered["ansible_"+k]; ok {
			prefixed[i] = "ansible_" + k
		}
	}
	data := map[string]any{"ansible_facts": modules.Ordered(registered, prefixed...)}
	if len(warnings) > 0 {
		data["warnings"] = warnings
	}
	return modules.Result{Facts: facts, Data: data}, nil
}

// factVar is a fact's name in ansible_facts as a variable: without its
// ansible_ prefix, but for ansible_local (vars/clean.py's namespace_facts).
func factVar(name string) string {
	if name == "ansible_local" {
		return name
	}
	return strings.TrimPrefix(name, "ansible_")
}

// factOrder is the order of the facts setup gathers, as Ansible's collectors
// add them (measured on Debian 12 with ansible-core 2.14): each interface's
// own fact comes after interfaces, in its order.
func factOrder(facts map[string]any) []string {
	out := make([]string, 0, len(collectorOrder)+8)
	for _, k := range collectorOrder {
		out = append(out, k)
		if k == "interfaces" {
			names, _ := facts["interfaces"].([]any)
			for _, n := range names {
				out = append(out, fmt.Sprint(n))
			}
		}
	}
	return out
}

var collectorOrder = []string{
	"is_chroot", "system", "kernel", "kernel_version", "machine", "python_version", "fqdn", "hostname",
	"nodename", "domain", "userspace_bits", "architecture", "userspace_architecture", "machine_id",
	"ssh_host_key_rsa_public", "ssh_host_key_rsa_public_keytype", "ssh_host_key_ecdsa_public",
	"ssh_host_key_ecdsa_public_keytype", "ssh_host_key_ed25519_public", "ssh_host_key_ed25519_public_keytype",
	"system_capabilities_enforced", "system_capabilities", "dns", "distribution", "distribution_release",
	"distribution_version", "distribution_major_version", "distribution_file_path", "distribution_file_variety",
	"distribution_file_parsed", "distribution_minor_version", "os_family", "user_id", "user_uid", "user_gid",
	"user_gecos", "user_dir", "user_shell", "real_user_id", "effective_user_id", "real_group_id",
	"effective_group_id", "virtualization_type", "virtualization_role", "virtualization_tech_guest",
	"virtualization_tech_host", "env", "iscsi_iqn", "lsb", "hostnqn", "apparmor", "python", "cmdline",
	"proc_cmdline", "ansible_local", "pkg_mgr", "selinux_python_present", "selinux", "date_time", "fips",
	"loadavg", "fibre_channel_wwn", "processor", "processor_count", "processor_cores",
	"processor_threads_per_core", "processor_vcpus", "processor_nproc", "memtotal_mb", "memfree_mb",
	"swaptotal_mb", "swapfree_mb", "memory_mb", "bios_date", "bios_vendor", "bios_version", "board_asset_tag",
	"board_name", "board_serial", "board_vendor", "board_version", "chassis_asset_tag", "chassis_serial",
	"chassis_vendor", "chassis_version", "form_factor", "product_name", "product_serial", "product_uuid",
	"product_version", "system_vendor", "devices", "device_links", "uptime_seconds", "lvm", "mounts",
	"interfaces", "default_ipv4", "default_ipv6", "all_ipv4_addresses", "all_ipv6_addresses", "service_mgr",
	"gather_subset", "module_setup",
}
