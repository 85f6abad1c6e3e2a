package probe

import (
	"bufio"
	"cmp"
	"fmt"
	"net/netip"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// factScript prints one `key=value` line per fact, `mount=` lines for
// filesystems and `if=`/`addr=` lines for interfaces, computed as Ansible's
// fact collectors compute them (module_utils/facts): /proc, /sys, os-release,
// `ip`, statvfs (stat -f). It needs only POSIX sh, coreutils, awk and iproute2.
const factScript = `
h=$(hostname 2>/dev/null || cat /proc/sys/kernel/hostname)
echo "hostname=${h%%.*}"
echo "nodename=$(uname -n)"
ip=$(getent hosts "$h" 2>/dev/null | awk '{print $1; exit}')
echo "fqdn=$( { [ -n "$ip" ] && getent hosts "$ip"; } 2>/dev/null | awk '{for (i = 2; i <= NF; i++) if (index($i, ".")) {print $i; exit}; print $2; exit}')"
echo "system=$(uname -s)"
echo "kernel=$(uname -r)"
echo "kernel_version=$(uname -v)"
echo "arch=$(uname -m)"
echo "nproc=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)"
awk '/^MemTotal:/ {print "memtotal_kb=" $2} /^MemFree:/ {print "memfree_kb=" $2} /^SwapTotal:/ {print "swaptotal_kb=" $2} /^SwapFree:/ {print "swapfree_kb=" $2}' /proc/meminfo
if [ -r /etc/os-release ]; then . /etc/os-release; echo "os_id=$ID"; echo "os_version=$VERSION_ID"; echo "os_like=$ID_LIKE"; echo "os_codename=$VERSION_CODENAME"; fi
[ -r /etc/debian_version ] && echo "debian_version=$(cat /etc/debian_version)"
echo "pid1=$(cat /proc/1/comm 2>/dev/null)"
[ -L /sbin/init ] && echo "sbin_init=$(readlink /sbin/init)"
(PATH="$PATH:/sbin:/usr/sbin:/usr/local/sbin"; command -v systemctl) >/dev/null 2>&1 && echo "systemctl=1"
for c in /run/systemd/system/ /dev/.run/systemd/ /dev/.systemd/; do [ -e "$c" ] && echo "systemd_canary=1"; done
(PATH="$PATH:/sbin:/usr/sbin:/usr/local/sbin"; command -v initctl) >/dev/null 2>&1 && [ -e /etc/init/ ] && echo "upstart=1"
[ -e /sbin/openrc ] && echo "openrc=1"
[ -e /etc/init.d/ ] && echo "initd=1"
for m in dnf yum apt-get zypper apk pacman; do for d in /usr/bin /usr/sbin /bin /sbin; do [ -x "$d/$m" ] && echo "pkg=$m"; done; done
echo "user=$(id -un)"
echo "uid=$(id -u)"
echo "gid=$(id -g)"
getent passwd "$(id -un)" | awk -F: '{print "user_dir=" $6; print "user_shell=" $7; print "user_gecos=" $5}'
for i in /sys/class/net/*; do n=${i##*/}; echo "if=$n $(cat $i/address 2>/dev/null) $(cat $i/mtu 2>/dev/null) $(cat $i/operstate 2>/dev/null)"
  for k in type flags speed; do v=$(cat $i/$k 2>/dev/null) && echo "ifx=$n $k $v"; done
  [ -e $i/device/driver/module ] && echo "ifx=$n module $(basename "$(readlink -f $i/device/driver/module)")"
  [ -e $i/device ] && echo "ifx=$n pciid $(basename "$(readlink $i/device)")"
done
ip -o -4 addr show 2>/dev/null | awk '{print "addr=" $2 " " $4 " " ($5 == "brd" ? $6 : "")}'
ip -o -6 addr show 2>/dev/null | awk '{print "addr6=" $2 " " $4 " " ($5 == "scope" ? $6 : $7)}'
ip -4 route get 8.8.8.8 2>/dev/null | awk '{for (i = 1; i < NF; i++) {if ($i == "dev") d = $(i+1); if ($i == "src") s = $(i+1); if ($i == "via") g = $(i+1)}} END {print "route=" d " " s " " g}'
awk '$1 ~ /^\// && $3 != "none" {print $1, $2, $3, $4}' /proc/mounts | while read dev mnt fs opts; do
  echo "mount=$dev $mnt $fs $opts $(stat -f -c '%S %s %b %f %a %c %d' "$mnt" 2>/dev/null)"
done
`

// gathered is the script's output, parsed.
type gathered struct {
	raw    map[string]string
	pkgs   []string
	ifaces []iface
	addrs  map[string][]netip.Prefix // IPv4 per interface
	brd    map[string]string
	addrs6 []addr6
	mounts []any
	multi  map[string][]string // the keys a script prints on several lines (cpu=, local=...)
}

type iface struct{ name, mac, mtu, state string }

// addr6 is an IPv6 address of an interface, with its scope (global, link, host).
type addr6 struct {
	dev   string
	p     netip.Prefix
	scope string
}

func parseGathered(text string) *gathered {
	g := &gathered{raw: map[string]string{}, addrs: map[string][]netip.Prefix{}, brd: map[string]string{},
		multi: map[string][]string{}}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		g.line(k, v)
	}
	return g
}

func (g *gathered) line(k, v string) {
	f := strings.Fields(v)
	switch k {
	case "pkg":
		g.pkgs = append(g.pkgs, v)
	case "if":
		if len(f) >= 1 {
			ifc := iface{name: f[0]}
			if len(f) >= 4 {
				ifc.mac, ifc.mtu, ifc.state = f[1], f[2], f[3]
			}
			g.ifaces = append(g.ifaces, ifc)
		}
	case "addr":
		if p, err := netip.ParsePrefix(nth(f, 1)); err == nil && len(f) >= 2 {
			g.addrs[f[0]] = append(g.addrs[f[0]], p)
			if len(f) >= 3 {
				g.brd[p.Addr().String()] = f[2]
			}
		}
	case "addr6":
		if p, err := netip.ParsePrefix(nth(f, 1)); err == nil {
			g.addrs6 = append(g.addrs6, addr6{dev: f[0], p: p, scope: nth(f, 2)})
		}
	case "mount":
		if m := parseMount(f); m != nil {
			g.mounts = append(g.mounts, m)
		}
	case "cpu", "kmod", "exists", "local", "wwn", "ifx", "dist":
		g.multi[k] = append(g.multi[k], v)
	default:
		g.raw[k] = v
	}
}

func nth(f []string, i int) string {
	if i < len(f) {
		return f[i]
	}
	return ""
}

var debianPoint = regexp.MustCompile(`(\d+)\.(\d+)`)

func (g *gathered) facts() map[string]any {
	raw := g.raw
	num := func(key string) int { n, _ := strconv.Atoi(strings.TrimSpace(raw[key])); return n }
	version := raw["os_version"]
	if raw["os_id"] == "debian" && raw["debian_version"] != "" && raw["distro_lib"] == "1" {
		version = raw["debian_version"] // the host's distro library reads /etc/debian_version: 12.11, not 12
	}
	major, minor, _ := strings.Cut(version, ".")
	if m := debianPoint.FindStringSubmatch(raw["debian_version"]); m != nil && raw["os_id"] == "debian" {
		minor = m[2] // distribution.py's parse_distribution_file_Debian
	}
	facts := map[string]any{
		"ansible_hostname":                   raw["hostname"],
		"ansible_nodename":                   raw["nodename"],
		"ansible_fqdn":                       cmp.Or(raw["fqdn"], raw["nodename"]),
		"ansible_system":                     raw["system"],
		"ansible_kernel":                     raw["kernel"],
		"ansible_kernel_version":             raw["kernel_version"],
		"ansible_architecture":               raw["arch"],
		"ansible_machine":                    raw["arch"],
		"ansible_memtotal_mb":                num("memtotal_kb") / 1024,
		"ansible_memfree_mb":                 num("memfree_kb") / 1024,
		"ansible_swaptotal_mb":               num("swaptotal_kb") / 1024,
		"ansible_swapfree_mb":                num("swapfree_kb") / 1024,
		"ansible_distribution":               distribution(raw["os_id"]),
		"ansible_distribution_version":       version,
		"ansible_distribution_major_version": major,
		"ansible_distribution_release":       raw["os_codename"],
		"ansible_os_family":                  osFamily(raw["os_id"], raw["os_like"]),
		"ansible_pkg_mgr":                    pkgMgr(g.pkgs, osFamily(raw["os_id"], raw["os_like"]), distribution(raw["os_id"]), major),
		"ansible_service_mgr":                serviceMgr(raw),
		"ansible_user_id":                    raw["user"],
		"ansible_user_uid":                   num("uid"),
		"ansible_user_gid":                   num("gid"),
		"ansible_user_dir":                   raw["user_dir"],
		"ansible_user_shell":                 raw["user_shell"],
		"ansible_user_gecos":                 raw["user_gecos"],
		"ansible_mounts":                     nonNil(g.mounts),
	}
	if minor != "" {
		facts["ansible_distribution_minor_version"] = minor
	}
	g.network(facts)
	pythonFacts(raw["python"], facts)
	g.systemFacts(facts)
	g.cpuFacts(facts, raw["arch"])
	g.memoryFacts(facts)
	g.dmiFacts(facts)
	g.uptimeFacts(facts)
	g.virtualFacts(facts)
	g.distFileFacts(facts)
	g.lvmFacts(facts)
	return facts
}

// network adds interfaces, the per-interface facts (ansible_eth0...),
// addresses and the default IPv4 route's interface as Ansible's
// LinuxNetwork collector names them.
func (g *gathered) network(facts map[string]any) {
	var names, v4, v6 []any
	for _, ifc := range g.ifaces {
		names = append(names, ifc.name)
		entry := map[string]any{"device": ifc.name, "active": ifc.state != "down"}
		if ifc.mac != "" && ifc.mac != "00:00:00:00:00:00" {
			entry["macaddress"] = ifc.mac
		}
		if mtu, err := strconv.Atoi(ifc.mtu); err == nil {
			entry["mtu"] = mtu
		}
		if ps := g.addrs[ifc.name]; len(ps) > 0 {
			entry["ipv4"] = g.ipv4(ps[0])
		}
		g.interfaceDetails(entry, ifc.name)
		facts["ansible_"+strings.ReplaceAll(ifc.name, "-", "_")] = entry
		for _, p := range g.addrs[ifc.name] {
			if !p.Addr().IsLoopback() {
				v4 = append(v4, p.Addr().String())
			}
		}
	}
	for _, a := range g.addrs6 {
		if !a.p.Addr().IsLoopback() {
			v6 = append(v6, a.p.Addr().String())
		}
	}
	facts["ansible_interfaces"] = nonNil(names)
	facts["ansible_all_ipv4_addresses"] = nonNil(v4)
	facts["ansible_all_ipv6_addresses"] = nonNil(v6)
	facts["ansible_default_ipv4"] = g.defaultIPv4()
	facts["ansible_default_ipv6"] = g.defaultIPv6()
}

func (g *gathered) ipv4(p netip.Prefix) map[string]any {
	bits := p.Bits()
	m := uint32(0xffffffff) << (32 - bits)
	if bits == 0 {
		m = 0
	}
	mb := [4]byte{byte(m >> 24), byte(m >> 16), byte(m >> 8), byte(m)}
	return map[string]any{"address": p.Addr().String(), "netmask": netip.AddrFrom4(mb).String(),
		"network": p.Masked().Addr().String(), "prefix": strconv.Itoa(bits), "broadcast": g.brd[p.Addr().String()]}
}

// defaultIPv4 describes the interface of the route to 8.8.8.8, as Ansible
// finds it (`ip -4 route get 8.8.8.8`).
func (g *gathered) defaultIPv4() map[string]any {
	f := strings.Fields(g.raw["route"])
	out := map[string]any{}
	if len(f) < 2 {
		return out
	}
	dev, src := f[0], f[1]
	out["interface"], out["alias"], out["address"] = dev, dev, src
	if len(f) >= 3 {
		out["gateway"] = f[2]
	}
	for _, ifc := range g.ifaces {
		if ifc.name != dev {
			continue
		}
		out["macaddress"] = ifc.mac
		if mtu, err := strconv.Atoi(ifc.mtu); err == nil {
			out["mtu"] = mtu
		}
		out["type"] = g.interfaceType(dev)
		for _, p := range g.addrs[dev] {
			if p.Addr().String() == src {
				for k, v := range g.ipv4(p) {
					out[k] = v
				}
			}
		}
	}
	return out
}

// ipv6Probe is the address whose route names the default IPv6 interface
// (network/linux.py: ipv6.google.com).
const ipv6Probe = "2404:6800:400a:800::1012"

// defaultIPv6 is get_default_interfaces' v6 half from `ip -6 route get`,
// completed from the interface whose address is the route's source.
func (g *gathered) defaultIPv6() map[string]any {
	out := map[string]any{}
	words := strings.Fields(g.raw["route6"])
	if len(words) == 0 || words[0] != ipv6Probe {
		return out
	}
	for i := 0; i < len(words)-1; i++ {
		switch {
		case words[i] == "dev":
			out["interface"] = words[i+1]
		case words[i] == "src":
			out["address"] = words[i+1]
		case words[i] == "via" && words[i+1] != ipv6Probe:
			out["gateway"] = words[i+1]
		}
	}
	for _, a := range g.addrs6 {
		if a.p.Addr().String() != out["address"] {
			continue
		}
		out["prefix"], out["scope"] = strconv.Itoa(a.p.Bits()), a.scope
		for _, ifc := range g.ifaces {
			if ifc.name == a.dev {
				out["macaddress"], out["type"] = ifc.mac, g.interfaceType(a.dev)
				if mtu, err := strconv.Atoi(ifc.mtu); err == nil {
					out["mtu"] = mtu
				}
			}
		}
	}
	return out
}

func nonNil(l []any) []any {
	if l == nil {
		return []any{}
	}
	return l
}

// parseMount reads `dev mount fstype options frsize bsize blocks bfree
// bavail files ffree` into Ansible's mount fact.
func parseMount(f []string) map[string]any {
	if len(f) != 11 {
		return nil
	}
	n := make([]int64, 7)
	for i := range n {
		v, err := strconv.ParseInt(f[4+i], 10, 64)
		if err != nil {
			return nil
		}
		n[i] = v
	}
	frsize, bsize, blocks, bfree, bavail, files, ffree := n[0], n[1], n[2], n[3], n[4], n[5], n[6]
	return map[string]any{"device": f[0], "mount": f[1], "fstype": f[2], "options": f[3],
		"size_total": frsize * blocks, "size_available": frsize * bavail, "block_size": bsize,
		"block_total": blocks, "block_available": bavail, "block_used": blocks - bfree,
		"inode_total": files, "inode_available": ffree, "inode_used": files - ffree, "uuid": "N/A"}
}

// distribution and osFamily name the OS as Ansible does.
func distribution(id string) string {
	names := map[string]string{"ubuntu": "Ubuntu", "debian": "Debian", "centos": "CentOS", "rhel": "RedHat",
		"rocky": "Rocky", "ol": "OracleLinux", "amzn": "Amazon", "fedora": "Fedora", "almalinux": "AlmaLinux",
		"sles": "SLES", "opensuse-leap": "openSUSE Leap", "alpine": "Alpine", "arch": "Archlinux"}
	if n, ok := names[id]; ok {
		return n
	}
	return id
}

func osFamily(id, like string) string {
	for _, word := range append([]string{id}, strings.Fields(like)...) {
		switch word {
		case "debian", "ubuntu":
			return "Debian"
		case "rhel", "centos", "fedora", "rocky", "ol", "amzn", "almalinux":
			return "RedHat"
		case "sles", "suse", "opensuse", "opensuse-leap":
			return "Suse"
		case "alpine":
			return "Alpine"
		case "arch":
			return "Archlinux"
		}
	}
	return fmt.Sprint(distribution(id))
}

// pkgMgr is Ansible's PkgMgrFactCollector: the last package manager found
// in the order of its PKG_MGRS, then the distribution family's own one
// where a host has several (a Debian host with dnf installed says apt; a
// RedHat one dnf from version 8, yum before; Fedora and Amazon keep what
// they have).
func pkgMgr(found []string, family, distribution, major string) string {
	name := "unknown"
	for _, want := range []string{"yum", "dnf", "apt-get", "zypper", "pacman", "apk"} {
		if slices.Contains(found, want) {
			name = strings.TrimSuffix(want, "-get")
		}
	}
	switch {
	case family == "Debian":
		return "apt"
	case family == "RedHat" && distribution != "Fedora" && distribution != "Amazon":
		if v, err := strconv.Atoi(major); err == nil && v < 8 {
			return "yum"
		}
		return "dnf"
	}
	return name
}

// serviceMgr is ServiceMgrFactCollector's answer on Linux: PID 1's command
// name (else what /sbin/init links to), but for init and shells; then,
// in its order, systemd's run-time marks, upstart, OpenRC, systemd
// installed as /sbin/init, SysV init scripts, and "service" failing all.
func serviceMgr(raw map[string]string) string {
	pid1 := strings.TrimSpace(raw["pid1"])
	if pid1 == "" && raw["sbin_init"] != "" {
		pid1 = path.Base(raw["sbin_init"])
	}
	if pid1 != "" && pid1 != "init" && !strings.HasSuffix(pid1, "sh") {
		names := map[string]string{"procd": "openwrt_init", "runit-init": "runit", "svscan": "svc", "openrc-init": "openrc"}
		return cmp.Or(names[pid1], pid1)
	}
	systemctl := raw["systemctl"] == "1"
	switch {
	case systemctl && raw["systemd_canary"] == "1":
		return "systemd"
	case raw["upstart"] == "1":
		return "upstart"
	case raw["openrc"] == "1":
		return "openrc"
	case systemctl && path.Base(raw["sbin_init"]) == "systemd":
		return "systemd"
	case raw["initd"] == "1":
		return "sysvinit"
	}
	return "service"
}
