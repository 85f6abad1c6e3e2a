package probe

import "github.com/ferry-sh/ferry/modules/hostcmd"

// systemScript reads, in the same round trip as factScript, what ansible-core
// 2.14's system, hardware and virtual collectors read (module_utils/facts):
// files whose text may span lines travel base64-encoded (`name=<base64>`),
// so that a line of theirs cannot pass for one of the script's. Parsing is
// left to Go (facts_system.go, facts_hardware.go, facts_virtual.go).
const systemScript = `
b64() { [ -r "$2" ] && printf '%s=%s\n' "$1" "$(base64 -w0 < "$2" 2>/dev/null)"; }
b64 environ /proc/$$/environ
echo "date=$(date '+%Y|%m|%A|%w|%W|%d|%H|%M|%S|%s|%N|%Z|%z')"
y=$(date +%Y)
echo "tzjan=$(date -d "$y-01-01 00:00" '+%Z|%z' 2>/dev/null)"
echo "tzjul=$(date -d "$y-07-01 00:00" '+%Z|%z' 2>/dev/null)"
b64 resolv /etc/resolv.conf
b64 cmdline /proc/cmdline
lsb=$(PATH="$PATH:/sbin:/usr/sbin:/usr/local/sbin" lsb_release -a 2>/dev/null) && echo "lsb_bin=$(printf '%s' "$lsb" | base64 -w0)"
b64 lsb_file /etc/lsb-release
[ -e /sys/kernel/security/apparmor ] && echo "apparmor=1"
echo "fips=$(cat /proc/sys/crypto/fips_enabled 2>/dev/null)"
for d in /lib /usr/lib /lib64 /usr/lib64 /lib/*-linux-gnu* /usr/lib/*-linux-gnu*; do
  [ -e "$d/libselinux.so.1" ] && { echo "selinux_lib=1"; break; }
done
if awk '$3 == "selinuxfs" {f = 1} END {exit !f}' /proc/mounts 2>/dev/null; then
  echo "selinux_enforce=$(cat /sys/fs/selinux/enforce 2>/dev/null)"
  echo "selinux_policyvers=$(cat /sys/fs/selinux/policyvers 2>/dev/null)"
  b64 selinux_config /etc/selinux/config
fi
echo "ids=$(id -ru) $(id -u) $(id -rg)"
echo "uptime=$(cut -d' ' -f1 /proc/uptime 2>/dev/null)"
echo "loadavg=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
echo "machine_id=$(head -n1 /var/lib/dbus/machine-id 2>/dev/null || head -n1 /etc/machine-id 2>/dev/null)"
echo "long_bit=$(getconf LONG_BIT 2>/dev/null)"
r=$(stat -c '%d %i' / 2>/dev/null); p=$(stat -c '%d %i' /proc/1/root/. 2>/dev/null)
if [ -n "$p" ]; then [ "$r" = "$p" ] || echo "chroot=1"
else case $(stat -f -c %T / 2>/dev/null) in *btrfs*) i=256 ;; *xfs*) i=128 ;; *) i=2 ;; esac; [ "${r#* }" = "$i" ] || echo "chroot=1"; fi
awk '/^nqn\./ {print "hostnqn=" $0; exit}' /etc/nvme/hostnqn 2>/dev/null
awk '/^InitiatorName=/ {print "iscsi_iqn=" substr($0, 15); exit}' /etc/iscsi/initiatorname.iscsi 2>/dev/null
for f in /sys/class/fc_host/*/port_name; do [ -r "$f" ] && sed 's/^/wwn=/' "$f"; done
awk '/^(Buffers|Cached|SwapCached):/ {k = $1; sub(":", "", k); print "mem_" k "=" $2}' /proc/meminfo
awk -F: 'BEGIN {split("model name,Processor,vendor_id,cpu,Vendor,processor,physical id,core id,cpu cores,siblings,# processors,ncpus active,machine", w, ","); for (i in w) want[w[i]] = 1}
  {k = $1; v = substr($0, length($1) + 2); gsub(/^[ \t]+|[ \t]+$/, "", k); gsub(/^[ \t]+|[ \t]+$/, "", v)
   if (k in want) print "cpu=" k "\t" v; else if (k == "flags" && v !~ /(^| )vme( |$)/) print "cpu_novme=1"}' /proc/cpuinfo 2>/dev/null
{ [ -e /proc/xen ] || [ "$(head -n1 /sys/hypervisor/type 2>/dev/null)" = xen ]; } && echo "xen=1"
b64 xen_caps /proc/xen/capabilities
for f in bios_date bios_vendor bios_version board_asset_tag board_name board_serial board_vendor board_version chassis_asset_tag chassis_serial chassis_vendor chassis_version chassis_type product_name product_serial product_uuid product_version sys_vendor product_family; do
  [ -r /sys/devices/virtual/dmi/id/$f ] && echo "dmi_$f=$(cat /sys/devices/virtual/dmi/id/$f 2>/dev/null)"
done
[ -e /sys/devices/virtual/dmi/id/product_name ] && echo "dmi=1"
b64 cgroup1 /proc/1/cgroup
echo "container1=$(tr '\0' '\n' < /proc/1/environ 2>/dev/null | grep 'container=' | base64 -w0)"
echo "systemd_container=$(cat /run/systemd/container 2>/dev/null)"
for p in /proc/vz /proc/lve /proc/bc /.dockerenv /.dockerinit /proc/xen /dev/kvm /rhev; do [ -e "$p" ] && echo "exists=$p"; done
grep '^VxID:' /proc/self/status 2>/dev/null | sed 's/^/vxid=/'
[ -r /proc/modules ] && awk '$1 == "kvm" || $1 == "vboxdrv" || $1 == "virtio" {print "kmod=" $1}' /proc/modules
[ -d /rhev ] && grep -qxE 'vdsmd?' /proc/[0-9]*/comm 2>/dev/null && echo "vdsm=1"
dmi=$(PATH="$PATH:/sbin:/usr/sbin:/usr/local/sbin" dmidecode -s system-product-name 2>/dev/null) && echo "dmidecode=$(printf '%s' "$dmi" | base64 -w0)"
if [ "$(id -ru)" = 0 ] && (PATH="$PATH:/sbin:/usr/sbin:/usr/local/sbin"; command -v vgs) >/dev/null 2>&1; then
  echo "lvm=1"
  for c in vgs lvs pvs; do
    o=$(PATH="$PATH:/sbin:/usr/sbin:/usr/local/sbin" LC_ALL=C $c --noheadings --nosuffix --units g --separator , 2>/dev/null)
    echo "lvm_$c=$(printf '%s' "$o" | base64 -w0)"
  done
fi
c=$(PATH="$PATH:/sbin:/usr/sbin:/usr/local/sbin" capsh --print 2>/dev/null) && echo "capsh=$(printf '%s' "$c" | base64 -w0)"
ip -6 route get 2404:6800:400a:800::1012 2>/dev/null | head -n1 | sed 's/^/route6=/'
true
`

// localScript reads the local facts of fact_path as 2.14's local collector
// finds them (module_utils/facts/system/local.py): each *.fact file's
// contents, or, for a file its owner may execute, what running it printed
// (stdout, exit status and stderr). A file it cannot stat is reported as
// such. Names and contents travel base64-encoded.
func localScript(factPath string) string {
	return `fp=` + hostcmd.Quote(factPath) + `
case $fp in "~") fp=$HOME ;; "~/"*) fp=$HOME/${fp#"~/"} ;; esac
nl='
'
if [ -e "$fp" ]; then
  echo "local_dir=1"
  for f in "$fp"/*.fact; do
    [ -e "$f" ] || [ -L "$f" ] || continue
    n=$(printf '%s' "${f##*/}" | base64 -w0)
    if ! m=$(stat -L -c %a "$f" 2>/dev/null); then echo "local=$n stat"; continue; fi
    if [ $(( (0$m >> 6) & 1 )) = 1 ]; then
      r=$( { e=$("$f" 2>&1 >&3 3>&-; printf 'x%s' "$?"); printf '\n%s %s' "${e##*x}" "$(printf '%s' "${e%x*}" | base64 -w0)"; } 3>&1 )
      echo "local=$n run ${r##*"$nl"} $(printf '%s' "${r%"$nl"*}" | base64 -w0)"
    else
      echo "local=$n file $(base64 -w0 < "$f" 2>/dev/null)"
    fi
  done
fi
`
}
