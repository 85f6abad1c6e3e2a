package probe

import (
	"github.com/ferry-sh/ferry/internal/anylist"
	"strconv"
	"strings"
)

// The facts of ansible-core 2.14's Linux hardware collector
// (module_utils/facts/hardware/linux.py) ferry has: processors, memory,
// DMI and uptime (mounts are in facts.go).

// cpuFacts is get_cpu_facts from the /proc/cpuinfo lines systemScript kept
// (`key\tvalue`): the processor list and the counts derived from it, with
// its quirks (cores from the first socket, threads from the first core's
// siblings; Xen paravirtual guests count each CPU as a socket).
func (g *gathered) cpuFacts(facts map[string]any, arch string) {
	processor := []any{}
	i, vendors, models, processors := 0, 0, 0, 0
	physid, coreid := "0", "0"
	var sockets, cores orderedCounts
	for _, line := range g.multi["cpu"] {
		key, val, _ := strings.Cut(line, "\t")
		switch key {
		case "model name", "Processor", "vendor_id", "cpu", "Vendor", "processor":
			processor = append(processor, val)
			i++
			switch key {
			case "vendor_id":
				vendors++
			case "model name":
				models++
			case "processor":
				processors++
			}
		case "physical id":
			physid = val
			sockets.setIfNew(val, 1)
		case "core id":
			coreid = val
			if !sockets.has(val) { // sic: linux.py looks the core up among the sockets
				cores.set(val, 1)
			}
		case "cpu cores":
			n, _ := strconv.Atoi(val)
			sockets.set(physid, n)
		case "siblings":
			n, _ := strconv.Atoi(val)
			cores.set(coreid, n)
		case "# processors":
			facts["ansible_processor_cores"], _ = strconv.Atoi(val)
		case "ncpus active":
			i, _ = strconv.Atoi(val)
		}
	}
	facts["ansible_processor"] = processor
	if vendors > 0 && vendors == models {
		i = vendors
	}
	if strings.HasPrefix(arch, "armv") || strings.HasPrefix(arch, "aarch") || strings.HasPrefix(arch, "ppc") {
		i = processors
	}
	if arch == "s390x" {
		return
	}
	nproc, err := strconv.Atoi(strings.TrimSpace(g.raw["nproc"]))
	if err != nil {
		nproc = processors
	}
	if g.raw["xen"] == "1" && g.raw["cpu_novme"] == "1" {
		facts["ansible_processor_count"], facts["ansible_processor_cores"] = i, i
		facts["ansible_processor_threads_per_core"], facts["ansible_processor_vcpus"] = 1, i
		return
	}
	count := i
	if len(sockets.keys) > 0 {
		count = len(sockets.keys)
	}
	perSocket := 1
	if len(sockets.keys) > 0 && sockets.first() != 0 {
		perSocket = sockets.first()
	}
	threads := 1 / perSocket
	if len(cores.keys) > 0 {
		threads = cores.first() / perSocket
	}
	facts["ansible_processor_count"], facts["ansible_processor_cores"] = count, perSocket
	facts["ansible_processor_threads_per_core"] = threads
	facts["ansible_processor_vcpus"] = threads * count * perSocket
	facts["ansible_processor_nproc"] = nproc
}

// orderedCounts is a Python dict of counts: values in insertion order.
type orderedCounts struct {
	keys []string
	vals map[string]int
}

func (o *orderedCounts) has(k string) bool { _, ok := o.vals[k]; return ok }

func (o *orderedCounts) set(k string, v int) {
	if o.vals == nil {
		o.vals = map[string]int{}
	}
	if !o.has(k) {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

func (o *orderedCounts) setIfNew(k string, v int) {
	if !o.has(k) {
		o.set(k, v)
	}
}

func (o *orderedCounts) first() int { return o.vals[o.keys[0]] }

// memoryFacts is get_memory_facts' ansible_memory_mb (the _mb facts of
// their own are in facts.go): MiB, rounded down, as /proc/meminfo has them.
func (g *gathered) memoryFacts(facts map[string]any) {
	mb := func(key string) any {
		n, err := strconv.Atoi(strings.TrimSpace(g.raw[key]))
		if err != nil {
			return nil
		}
		return n / 1024
	}
	total, free, swapTotal, swapFree := mb("memtotal_kb"), mb("memfree_kb"), mb("swaptotal_kb"), mb("swapfree_kb")
	cached, buffers := mb("mem_Cached"), mb("mem_Buffers")
	sub := func(a, b any) any {
		x, ok1 := a.(int)
		y, ok2 := b.(int)
		if !ok1 || !ok2 {
			return nil
		}
		return x - y
	}
	var nocacheFree any
	if c, ok := cached.(int); ok && free != nil && buffers != nil {
		nocacheFree = c + free.(int) + buffers.(int)
	}
	facts["ansible_memory_mb"] = map[string]any{
		"real":    map[string]any{"total": total, "used": sub(total, free), "free": free},
		"nocache": map[string]any{"free": nocacheFree, "used": sub(total, nocacheFree)},
		"swap": map[string]any{"total": swapTotal, "free": swapFree, "used": sub(swapTotal, swapFree),
			"cached": mb("mem_SwapCached")},
	}
}

// dmiNames are get_dmi_facts' facts and the /sys/devices/virtual/dmi/id
// files they read.
var dmiNames = [][2]string{{"bios_date", "bios_date"}, {"bios_vendor", "bios_vendor"},
	{"bios_version", "bios_version"}, {"board_asset_tag", "board_asset_tag"}, {"board_name", "board_name"},
	{"board_serial", "board_serial"}, {"board_vendor", "board_vendor"}, {"board_version", "board_version"},
	{"chassis_asset_tag", "chassis_asset_tag"}, {"chassis_serial", "chassis_serial"},
	{"chassis_vendor", "chassis_vendor"}, {"chassis_version", "chassis_version"},
	{"form_factor", "chassis_type"}, {"product_name", "product_name"}, {"product_serial", "product_serial"},
	{"product_uuid", "product_uuid"}, {"product_version", "product_version"}, {"system_vendor", "sys_vendor"}}

var formFactors = []string{"Unknown", "Other", "Unknown", "Desktop", "Low Profile Desktop", "Pizza Box",
	"Mini Tower", "Tower", "Portable", "Laptop", "Notebook", "Hand Held", "Docking Station", "All In One",
	"Sub Notebook", "Space-saving", "Lunch Box", "Main Server Chassis", "Expansion Chassis", "Sub Chassis",
	"Bus Expansion Chassis", "Peripheral Chassis", "RAID Chassis", "Rack Mount Chassis", "Sealed-case PC",
	"Multi-system", "CompactPCI", "AdvancedTCA", "Blade", "Blade Enclosure", "Tablet", "Convertible",
	"Detachable", "IoT Gateway", "Embedded PC", "Mini PC", "Stick PC"}

// dmiFacts is get_dmi_facts from /sys: NA for a file it cannot read.
// Without /sys's DMI, linux.py asks dmidecode, which ferry does not: NA.
func (g *gathered) dmiFacts(facts map[string]any) {
	for _, n := range dmiNames {
		v, ok := g.raw["dmi_"+n[1]]
		switch {
		case !ok || v == "" || g.raw["dmi"] != "1": // get_file_content: an empty file is none
			v = "NA"
		case n[0] == "form_factor":
			if i, err := strconv.Atoi(v); err == nil && i >= 0 && i < len(formFactors) {
				v = formFactors[i]
			} else {
				v = "unknown (" + v + ")"
			}
		}
		facts["ansible_"+n[0]] = v
	}
}

// uptimeFacts is get_uptime_facts: /proc/uptime's seconds, truncated.
func (g *gathered) uptimeFacts(facts map[string]any) {
	if s, err := strconv.ParseFloat(strings.TrimSpace(g.raw["uptime"]), 64); err == nil {
		facts["ansible_uptime_seconds"] = int(s)
	}
}

// lvmFacts is get_lvm_facts: for root on a host with LVM's tools, the
// volume groups, logical and physical volumes as vgs, lvs and pvs list them
// (sizes in GiB, strings); N/A otherwise. A PV that is a /dev/dm-N device
// keeps that name (linux.py asks dmsetup for its /dev/mapper one).
func (g *gathered) lvmFacts(facts map[string]any) {
	if g.raw["lvm"] != "1" {
		facts["ansible_lvm"] = "N/A"
		return
	}
	rows := func(key string) [][]string {
		var out [][]string
		for _, line := range anylist.Split(unb64(g.raw[key])) {
			out = append(out, strings.Split(strings.TrimSpace(line), ","))
		}
		return out
	}
	vgs, lvs, pvs := map[string]any{}, map[string]any{}, map[string]any{}
	for _, f := range rows("lvm_vgs") {
		if len(f) >= 3 {
			vgs[f[0]] = map[string]any{"size_g": f[len(f)-2], "free_g": f[len(f)-1], "num_lvs": f[2], "num_pvs": f[1]}
		}
	}
	for _, f := range rows("lvm_lvs") {
		if len(f) >= 4 {
			lvs[f[0]] = map[string]any{"size_g": f[3], "vg": f[1]}
		}
	}
	for _, f := range rows("lvm_pvs") {
		if len(f) >= 6 {
			pvs[f[0]] = map[string]any{"size_g": f[4], "free_g": f[5], "vg": f[1]}
		}
	}
	facts["ansible_lvm"] = map[string]any{"lvs": lvs, "vgs": vgs, "pvs": pvs}
}
