package probe

import (
	"github.com/ferry-sh/ferry/internal/anylist"
	"regexp"
	"slices"
	"strings"
)

// virtual is ansible-core 2.14's LinuxVirtual.get_virtual_facts
// (module_utils/facts/virtual/linux.py), step by step in its order: the
// first technology found names virtualization_type and _role, every one
// found goes into tech_guest or tech_host. What ferry does not read:
// lscpu's hypervisor on s390x.
type virtual struct {
	facts       map[string]any
	found       bool
	guest, host []string
}

func (v *virtual) add(list *[]string, tech string) {
	if !slices.Contains(*list, tech) {
		*list = append(*list, tech)
	}
}

// guestIs records a guest technology; the first one found names the type
// (and, with role, the role).
func (v *virtual) guestIs(tech, typ, role string) {
	v.add(&v.guest, tech)
	v.first(typ, role)
}

func (v *virtual) hostIs(tech, typ, role string) {
	v.add(&v.host, tech)
	v.first(typ, role)
}

func (v *virtual) first(typ, role string) {
	if v.found {
		return
	}
	v.facts["ansible_virtualization_type"] = typ
	if role != "" {
		v.facts["ansible_virtualization_role"] = role
	}
	v.found = true
}

var (
	dockerCgroup = regexp.MustCompile(`/docker(/|-[0-9a-f]+\.scope)`)
	lxcCgroup    = regexp.MustCompile(`/lxc/|/machine.slice/machine-lxc`)
)

func (g *gathered) virtualFacts(facts map[string]any) {
	v := &virtual{facts: facts}
	exists := func(p string) bool { return slices.Contains(g.multi["exists"], p) }
	v.containers(g, exists)
	if exists("/proc/xen") {
		if strings.Contains(unb64(g.raw["xen_caps"]), "control_d") {
			v.hostIs("xen", "xen", "host")
		} else {
			v.first("xen", "guest")
		}
	}
	if !v.found {
		facts["ansible_virtualization_role"] = "guest"
	}
	v.dmi(g)
	if !v.found {
		delete(facts, "ansible_virtualization_role")
	}
	v.vserver(g.raw["vxid"])
	v.cpuinfo(g.multi["cpu"])
	v.modules(g.multi["kmod"], exists("/rhev") && g.raw["vdsm"] == "1")
	if out := unb64(g.raw["dmidecode"]); out != "" {
		var name strings.Builder
		for _, l := range anylist.Split(out) {
			if !strings.HasPrefix(l, "#") {
				name.WriteString(strings.TrimSpace(l))
			}
		}
		if strings.HasPrefix(name.String(), "VMware") {
			v.guestIs("VMware", "VMware", "guest")
		}
		if strings.Contains(out, "BHYVE") {
			v.guestIs("bhyve", "bhyve", "guest")
		}
	}
	if exists("/dev/kvm") {
		v.hostIs("kvm", "kvm", "host")
	}
	v.first("NA", "NA")
	facts["ansible_virtualization_tech_guest"] = anylist.Of(v.guest)
	facts["ansible_virtualization_tech_host"] = anylist.Of(v.host)
}

// containers: PID 1's cgroups and environment, OpenVZ, systemd's and
// Docker's marks.
func (v *virtual) containers(g *gathered, exists func(string) bool) {
	for _, line := range anylist.Split(unb64(g.raw["cgroup1"])) {
		if dockerCgroup.MatchString(line) {
			v.guestIs("docker", "docker", "guest")
		}
		if lxcCgroup.MatchString(line) {
			v.guestIs("lxc", "lxc", "guest")
		}
		if strings.Contains(line, "/system.slice/containerd.service") {
			v.guestIs("containerd", "containerd", "guest")
		}
	}
	for _, line := range anylist.Split(unb64(g.raw["container1"])) {
		if strings.Contains(line, "container=lxc") {
			v.guestIs("lxc", "lxc", "guest")
		}
		if strings.Contains(line, "container=podman") {
			v.guestIs("podman", "podman", "guest")
		}
		if strings.HasPrefix(line, "container=") && len(line) > len("container=") {
			v.guestIs("container", "container", "guest")
		}
	}
	if exists("/proc/vz") && !exists("/proc/lve") {
		v.facts["ansible_virtualization_type"] = "openvz"
		if exists("/proc/bc") {
			v.add(&v.host, "openvz")
			v.first("openvz", "host")
		} else {
			v.add(&v.guest, "openvz")
			v.first("openvz", "guest")
		}
		v.found = true
	}
	systemd := strings.TrimSpace(g.raw["systemd_container"])
	if systemd != "" {
		v.guestIs(systemd, systemd, "guest")
	}
	if exists("/.dockerenv") || exists("/.dockerinit") {
		v.guestIs("docker", "docker", "guest")
	}
	for _, c := range []string{"docker", "lxc", "podman", "openvz", "containerd"} {
		if slices.Contains(v.guest, c) || systemd != "" {
			v.add(&v.guest, "container")
			break
		}
	}
}

// dmi: the hypervisor the DMI names of the machine say.
func (v *virtual) dmi(g *gathered) {
	product, vendor := g.raw["dmi_product_name"], g.raw["dmi_sys_vendor"]
	family, bios := g.raw["dmi_product_family"], g.raw["dmi_bios_vendor"]
	switch product {
	case "KVM", "KVM Server", "Bochs", "AHV":
		v.guestIs("kvm", "kvm", "")
	}
	if vendor == "oVirt" {
		v.guestIs("oVirt", "oVirt", "")
	}
	if vendor == "Red Hat" {
		if family == "RHV" {
			v.guestIs("RHV", "RHV", "")
		} else if product == "RHEV Hypervisor" {
			v.guestIs("RHEV", "RHEV", "")
		}
	}
	for _, m := range []struct{ field, value, tech string }{
		{product, "VMware Virtual Platform", "VMware"}, {product, "VMware7,1", "VMware"},
		{product, "OpenStack Compute", "openstack"}, {product, "OpenStack Nova", "openstack"},
		{bios, "Xen", "xen"}, {bios, "innotek GmbH", "virtualbox"},
		{bios, "Amazon EC2", "kvm"}, {bios, "DigitalOcean", "kvm"}, {bios, "Hetzner", "kvm"},
		{vendor, "QEMU", "kvm"}, {vendor, "Amazon EC2", "kvm"}, {vendor, "DigitalOcean", "kvm"},
		{vendor, "Google", "kvm"}, {vendor, "Scaleway", "kvm"}, {vendor, "Nutanix", "kvm"},
		{vendor, "KubeVirt", "KubeVirt"}, {vendor, "Microsoft Corporation", "VirtualPC"},
		{vendor, "Parallels Software International Inc.", "parallels"},
		{vendor, "OpenStack Foundation", "openstack"},
	} {
		if m.field == m.value {
			v.guestIs(m.tech, m.tech, "")
		}
	}
}

var (
	vxid        = regexp.MustCompile(`^VxID:\s+\d+`)
	vxidHost    = regexp.MustCompile(`^VxID:\s+0`)
	pseriesQemu = regexp.MustCompile(`CHRP IBM pSeries .emulated by qemu.`)
)

// vserver: Linux-VServer's context id in /proc/self/status.
func (v *virtual) vserver(line string) {
	if !vxid.MatchString(line) {
		return
	}
	if vxidHost.MatchString(line) {
		v.hostIs("linux_vserver", "linux_vserver", "host")
	} else {
		v.guestIs("linux_vserver", "linux_vserver", "guest")
	}
}

// cpuinfo: emulated processors' names.
func (v *virtual) cpuinfo(lines []string) {
	for _, line := range lines {
		key, val, _ := strings.Cut(line, "\t")
		tech := ""
		switch {
		case key == "model name" && strings.Contains(val, "QEMU Virtual CPU"):
			tech = "kvm"
		case key == "vendor_id" && strings.Contains(val, "User Mode Linux"), key == "model name" && strings.Contains(val, "UML"):
			tech = "uml"
		case key == "machine" && pseriesQemu.MatchString(val):
			tech = "kvm"
		case key == "vendor_id" && strings.Contains(val, "PowerVM Lx86"):
			tech = "powervm_lx86"
		case key == "vendor_id" && strings.Contains(val, "IBM/S390"):
			// linux.py asks lscpu for the hypervisor; ferry does not, as
			// linux.py without lscpu: PR/SM and ibm_systemz, a guest.
			v.add(&v.guest, "PR/SM")
			v.guestIs("ibm_systemz", "ibm_systemz", "guest")
			continue
		default:
			continue
		}
		v.guestIs(tech, tech, "guest")
	}
}

// modules: the kernel modules of a hypervisor host (kvm, vboxdrv) or a
// KVM guest (virtio).
func (v *virtual) modules(loaded []string, rhev bool) {
	if slices.Contains(loaded, "kvm") {
		v.add(&v.host, "kvm")
		if rhev {
			v.add(&v.host, "RHEV")
		}
		if !v.found {
			v.facts["ansible_virtualization_type"] = "kvm"
			v.facts["ansible_virtualization_role"] = "host"
			if rhev {
				v.facts["ansible_virtualization_type"] = "RHEV"
			}
		}
		v.found = true
	}
	if slices.Contains(loaded, "vboxdrv") {
		v.hostIs("virtualbox", "virtualbox", "host")
	}
	if slices.Contains(loaded, "virtio") {
		v.hostIs("kvm", "kvm", "guest")
	}
}
