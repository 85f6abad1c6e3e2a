package sysconf_test

import (
	"path/filepath"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/rootfs"
)

// compare runs playbook with --check, then twice for real, with ferry and
// ansible-playbook on a fresh root each: recaps, effects (what state prints
// in the root) and every registered field must agree.
func compare(t *testing.T, playbook string, state func(*rootfs.Host) string) {
	t.Helper()
	ours, theirs := rootfs.Start(t), rootfs.Start(t)
	playbook, _ = filepath.Abs(playbook)
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t), Diff: true, Skip: []string{"diff"},
		State: ansiblecmp.StateOf(ours, theirs, state)}.Run(t)
}

func TestHostnameAgainstAnsible(t *testing.T) {
	compare(t, "testdata/hostname.yml", func(h *rootfs.Host) string {
		return h.Run("cat /etc/hostname; hostname")
	})
}

func TestCronAgainstAnsible(t *testing.T) {
	compare(t, "testdata/cron.yml", func(h *rootfs.Host) string {
		return h.Run("crontab -l 2>&1; crontab -u nobody -l 2>&1; cd /etc/cron.d && for f in ferry-*; do echo \"== $f\"; stat -c %a $f; cat $f; done; true")
	})
}

// sysctl is ansible.posix's: compared live where the collection is
// installed (tools/collections/install.sh), else with the recording.
func TestSysctlAgainstAnsible(t *testing.T) {
	ours, theirs := rootfs.Start(t), rootfs.Start(t)
	old := "# kept\n net.ipv4.tcp_syncookies = 1\n\n;also kept\nnet.ipv4.tcp_syncookies=0\nnet.ipv4.tcp_fin_timeout =  7\n"
	for _, h := range []*rootfs.Host{ours, theirs} {
		h.Run("printf '" + old + "' > /etc/sysctl.d/80-old.conf")
	}
	playbook, _ := filepath.Abs("testdata/sysctl.yml")
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t), Diff: true,
		Collections: []string{"ansible.posix"},
		State: ansiblecmp.StateOf(ours, theirs, func(h *rootfs.Host) string {
			return h.Run(`cd /etc && echo "== sysctl.conf $(stat -c %a sysctl.conf)"; grep -v '^#' sysctl.conf
for f in sysctl.d/[0-9]*.conf; do test -L $f || { echo "== $f $(stat -c %a $f)"; cat $f; }; done
for k in net.ipv4.ip_forward net.ipv4.conf.all.accept_redirects net.ipv4.ip_local_port_range net.ipv4.tcp_syncookies; do echo "$k=$(sysctl -n $k)"; done`)
		})}.Run(t)
}

// fakeHwclock stands in for hwclock in a root: it records its arguments and
// writes /etc/adjtime as hwclock --systohc does, and never reaches a real
// hardware clock (the root's /dev is this machine's).
const fakeHwclock = `cat > /usr/sbin/hwclock <<'EOF'
#!/bin/sh
echo "$*" >> /var/log/hwclock.calls
case "$*" in *--localtime*) m=LOCAL;; *) m=UTC;; esac
printf '0.0 0 0.0\n0\n%s\n' $m > /etc/adjtime
EOF
chmod 755 /usr/sbin/hwclock`

// timezone is community.general's: compared live where the collection is
// installed (tools/collections/install.sh), else with the recording.
func TestTimezoneAgainstAnsible(t *testing.T) {
	ours, theirs := rootfs.Start(t), rootfs.Start(t)
	for _, h := range []*rootfs.Host{ours, theirs} {
		h.Run(fakeHwclock)
	}
	playbook, _ := filepath.Abs("testdata/timezone.yml")
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t), Diff: true,
		Collections: []string{"community.general"},
		State: ansiblecmp.StateOf(ours, theirs, func(h *rootfs.Host) string {
			return h.Run(`cd /etc; for f in timezone default/rcS adjtime /var/log/hwclock.calls; do echo "== $f"; cat $f 2>&1; done; readlink localtime`)
		})}.Run(t)
}

// mount is ansible.posix's, with real tmpfs mounts in the root's own mount
// namespace: compared live where the collection is installed, else with
// the recording. The other fstab exists first: the collection makes a
// missing one even under --check, which ferry does not (README).
func TestMountAgainstAnsible(t *testing.T) {
	ours, theirs := rootfs.Start(t), rootfs.Start(t)
	for _, h := range []*rootfs.Host{ours, theirs} {
		h.Run(`mkdir -p /mnt/old /mnt/gone && mount -t tmpfs old /mnt/old && mount -t tmpfs gone /mnt/gone &&
echo 'gone /mnt/gone tmpfs defaults 0 0' >> /etc/fstab && mkdir /etc/ferry && echo '# other' > /etc/ferry/fstab`)
	}
	playbook, _ := filepath.Abs("testdata/mount.yml")
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t), Diff: true,
		Collections: []string{"ansible.posix"}, Skip: []string{"backup_file"},
		State: ansiblecmp.StateOf(ours, theirs, func(h *rootfs.Host) string {
			return h.Run(`cat /etc/fstab /etc/ferry/fstab 2>&1; ls /etc | grep -c '^fstab\..*~$'; ls -d /srv/ferry/data /mnt/* 2>&1
stat -c '%n %a' /srv/ferry /srv/ferry/data; grep -E ' /(srv|mnt)/' /proc/self/mountinfo | awk '{print $5, $6, $(NF-2), $(NF-1), $NF}'`)
		})}.Run(t)
}

// TestMountNewFstabAgainstAnsible: a missing fstab is made in a real run
// without counting as a change, as the collection does (which makes it
// under --check too: the state compared is its content, not whether it is
// there).
func TestMountNewFstabAgainstAnsible(t *testing.T) {
	ours, theirs := rootfs.Start(t), rootfs.Start(t)
	playbook, _ := filepath.Abs("testdata/mount-newfstab.yml")
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t), Diff: true,
		Collections: []string{"ansible.posix"}, Skip: []string{"backup_file"},
		State: ansiblecmp.StateOf(ours, theirs, func(h *rootfs.Host) string {
			return h.Run(`cat /etc/ferry-new/fstab 2>/dev/null; true`)
		})}.Run(t)
	if got := ours.Run(`stat -c '%F %s' /etc/ferry-new/fstab`); got != "regular empty file 0\n" {
		t.Errorf("the real run did not make an empty fstab: %q", got)
	}
}

// kernelStandIn gives a root a /proc/modules and a modules.builtin of the
// test's, so that what modprobe finds loaded is the same on every machine
// and no real module is loaded or unloaded; and old persistent lines.
const kernelStandIn = `d=/lib/modules/$(uname -r); mkdir -p $d /etc/modules-load.d /etc/modprobe.d
echo kernel/drivers/ferry/ferry_builtin.ko > $d/modules.builtin
printf 'ferry_loaded 16384 0 - Live 0x0000000000000000\n' > /run/modules
mount -t tmpfs proc-stand-in /proc && cp /run/modules /proc/modules
printf '# old\nferry_old\nferry_loaded # ours\n' > /etc/modules-load.d/old.conf
printf 'options ferry_old level=3\noptions ferry_loaded debug=0\n' > /etc/modprobe.d/old.conf`

// modprobe is community.general's: compared live where the collection is
// installed, else with the recording.
func TestModprobeAgainstAnsible(t *testing.T) {
	ours, theirs := rootfs.Start(t), rootfs.Start(t)
	for _, h := range []*rootfs.Host{ours, theirs} {
		h.Run(kernelStandIn)
	}
	playbook, _ := filepath.Abs("testdata/modprobe.yml")
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t),
		Collections: []string{"community.general"}, RealUnderCheck: true,
		// modprobe's message names this machine's kernel release.
		Skip: []string{"msg@a module the kernel does not have", "stderr@a module the kernel does not have", "stderr_lines@a module the kernel does not have"},
		State: ansiblecmp.StateOf(ours, theirs, func(h *rootfs.Host) string {
			return h.Run(`cd /etc && for f in modules-load.d/* modprobe.d/*; do echo "== $f"; cat $f; done`)
		})}.Run(t)
}
