package modules

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"strings"
)

// setup gathers the minimal facts a play needs (gather_facts): OS, arch, CPU
// count, memory, disks, addresses and hostname, under Ansible's fact names.
type setup struct{}

func init() { Register(setup{}) }

func (setup) Spec() Spec {
	return Spec{
		Name:    "setup",
		Summary: "Gather facts about the host: OS, architecture, CPUs, memory, mounts, addresses, hostname.",
		Args: []Arg{
			{Name: "gather_subset", Type: List, Doc: "accepted for Ansible compatibility; ferry always gathers its minimal set"},
		},
	}
}

// factScript prints one `key=value` line per fact and `mount=` lines for
// disks. It needs only POSIX sh, coreutils and /proc, all on any kURL host.
const factScript = `
echo "hostname=$(hostname 2>/dev/null || cat /proc/sys/kernel/hostname)"
echo "fqdn=$(hostname -f 2>/dev/null || hostname)"
echo "system=$(uname -s)"
echo "kernel=$(uname -r)"
echo "arch=$(uname -m)"
echo "vcpus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc)"
echo "memtotal_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)"
echo "memfree_kb=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)"
echo "swaptotal_kb=$(awk '/^SwapTotal:/ {print $2}' /proc/meminfo)"
if [ -r /etc/os-release ]; then . /etc/os-release; echo "os_id=$ID"; echo "os_version=$VERSION_ID"; echo "os_like=$ID_LIKE"; fi
echo "user=$(id -un)"
for a in $(hostname -I 2>/dev/null); do echo "addr=$a"; done
df -P -B1 -x tmpfs -x devtmpfs -x overlay -x squashfs 2>/dev/null | awk 'NR>1 {print "mount=" $6 " " $2 " " $4 " " $1}'
`

func (setup) Run(ctx context.Context, h *Host, _ Args) (Result, error) {
	out, err := h.Conn.Run(ctx, Command{Shell: factScript})
	if err != nil {
		return Result{}, err
	}
	if out.RC != 0 {
		return Result{Failed: true, Msg: "gathering facts failed: " + strings.TrimSpace(out.Stderr)}, nil
	}
	facts := parseFacts(out.Stdout)
	all := map[string]any{}
	for k, v := range facts {
		all[strings.TrimPrefix(k, "ansible_")] = v
	}
	facts["ansible_facts"] = all
	return Result{Facts: facts, Data: map[string]any{"ansible_facts": all}}, nil
}

func parseFacts(text string) map[string]any {
	raw := map[string]string{}
	var addrs []any
	var mounts []any
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		switch k {
		case "addr":
			if !strings.Contains(v, ":") {
				addrs = append(addrs, v)
			}
		case "mount":
			if m := parseMount(v); m != nil {
				mounts = append(mounts, m)
			}
		default:
			raw[k] = v
		}
	}
	kb := func(key string) int { n, _ := strconv.Atoi(raw[key]); return n }
	vcpus, _ := strconv.Atoi(raw["vcpus"])
	facts := map[string]any{
		"ansible_hostname":             raw["hostname"],
		"ansible_nodename":             raw["hostname"],
		"ansible_fqdn":                 raw["fqdn"],
		"ansible_system":               raw["system"],
		"ansible_kernel":               raw["kernel"],
		"ansible_architecture":         raw["arch"],
		"ansible_machine":              raw["arch"],
		"ansible_processor_vcpus":      vcpus,
		"ansible_processor_nproc":      vcpus,
		"ansible_memtotal_mb":          kb("memtotal_kb") / 1024,
		"ansible_memfree_mb":           kb("memfree_kb") / 1024,
		"ansible_swaptotal_mb":         kb("swaptotal_kb") / 1024,
		"ansible_distribution":         distribution(raw["os_id"]),
		"ansible_distribution_version": raw["os_version"],
		"ansible_os_family":            osFamily(raw["os_id"], raw["os_like"]),
		"ansible_user_id":              raw["user"],
		"ansible_all_ipv4_addresses":   nonNil(addrs),
		"ansible_mounts":               nonNil(mounts),
	}
	if len(addrs) > 0 {
		facts["ansible_default_ipv4"] = map[string]any{"address": addrs[0]}
	} else {
		facts["ansible_default_ipv4"] = map[string]any{}
	}
	return facts
}

func nonNil(l []any) []any {
	if l == nil {
		return []any{}
	}
	return l
}

func parseMount(v string) map[string]any {
	f := strings.Fields(v)
	if len(f) != 4 {
		return nil
	}
	total, err1 := strconv.ParseInt(f[1], 10, 64)
	avail, err2 := strconv.ParseInt(f[2], 10, 64)
	if err1 != nil || err2 != nil {
		return nil
	}
	return map[string]any{"mount": f[0], "size_total": total, "size_available": avail, "device": f[3]}
}

// distribution and osFamily name the OS as Ansible does.
func distribution(id string) string {
	names := map[string]string{"ubuntu": "Ubuntu", "debian": "Debian", "centos": "CentOS", "rhel": "RedHat",
		"rocky": "Rocky", "ol": "OracleLinux", "amzn": "Amazon", "fedora": "Fedora", "almalinux": "AlmaLinux"}
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
		}
	}
	return fmt.Sprint(distribution(id))
}
