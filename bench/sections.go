package main

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// copyResult compares ferry's copy module with OpenSSH's scp uploading the
// same file to the same sshd.
type copyResult struct {
	bytes      int64
	ferry, scp stats
}

func (b *bench) runCopy() copyResult {
	size := int64(b.copyMB) << 20
	src := filepath.Join(b.work, "upload.bin")
	b.randomFile(src, size)
	defer os.Remove(src)
	dst := filepath.Join(b.work, "uploaded.bin")
	play := filepath.Join(b.work, "copy.yml")
	b.write(play, fmt.Sprintf("- hosts: h000\n  gather_facts: false\n  tasks:\n    - copy:\n        src: %s\n        dest: %s\n", src, dst))
	ferry := command{argv: []string{b.ferry, "run", play, "-i", b.inventory(1)}}
	scp := command{argv: []string{"scp", "-q", "-i", b.srv.ClientKey, "-o", "UserKnownHostsFile=" + b.srv.KnownHosts,
		"-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-P", strconv.Itoa(b.srv.Port),
		src, b.srv.User + "@" + b.srv.Addrs[0] + ":" + dst}}
	var fs, ss []sample
	for rep := 0; rep < b.reps; rep++ {
		for i := 0; i < 2; i++ {
			// Every upload starts with no destination: copy would skip an
			// identical file, and a partial one would be resumed.
			os.Remove(dst)
			os.Remove(dst + ".ferry-part")
			if (i+rep)%2 == 0 {
				fs = append(fs, b.mustMeasure(fmt.Sprintf("copy-ferry-%d", rep), ferry))
				b.progress("copy", "ferry", rep, fs[len(fs)-1])
			} else {
				ss = append(ss, b.mustMeasure(fmt.Sprintf("copy-scp-%d", rep), scp))
				b.progress("copy", "scp", rep, ss[len(ss)-1])
			}
		}
	}
	os.Remove(dst)
	return copyResult{bytes: size, ferry: median(fs), scp: median(ss)}
}

// randomFile writes size bytes that do not compress.
func (b *bench) randomFile(path string, size int64) {
	f, err := os.Create(path)
	if err != nil {
		b.h.Fatalf("%v", err)
	}
	defer f.Close()
	rng := rand.NewChaCha8([32]byte{'f', 'e', 'r', 'r', 'y'})
	w := bufio.NewWriterSize(f, 1<<20)
	if _, err := io.CopyN(w, rng, size); err != nil {
		b.h.Fatalf("writing %s: %v", path, err)
	}
	if err := w.Flush(); err != nil {
		b.h.Fatalf("writing %s: %v", path, err)
	}
}

func (b *bench) progress(what, tool string, rep int, s sample) {
	fmt.Printf("%-9s %-7s rep %d: %6.2fs cpu %6.2fs rss %4d MB\n", what, tool, rep+1, s.wall.Seconds(), s.cpu.Seconds(), s.rssKB/1024)
}

// checkArgv is the README's main job: the embedded Dash Enterprise playbook
// in check mode against the example site, with the demo overlay standing
// this machine in for the server.
func checkArgv(ferry string) []string {
	return []string{ferry, "run", "--check", "-i", "playbooks/examples/site", "-e", "@playbooks/examples/demo/demo.yml"}
}

// checkResult is the default Dash Enterprise playbook in check mode.
type checkResult struct {
	stats
	rc     int
	status string // the last lines of the output when it did not exit 0
}

func (b *bench) runCheckMode() checkResult {
	cmd := command{argv: checkArgv(b.ferry)}
	var ss []sample
	res := checkResult{}
	for rep := 0; rep < b.reps; rep++ {
		tag := fmt.Sprintf("check-%d", rep)
		s, err := b.measure(tag, cmd)
		if err != nil {
			b.h.Fatalf("%v", err)
		}
		b.progress("check", "ferry", rep, s)
		ss = append(ss, s)
		if s.rc != 0 {
			res.rc, res.status = s.rc, tail(b.logPath(tag), 3)
		}
	}
	res.stats = median(ss)
	return res
}

// inventoryResult times a 1,000-host inventory with group_vars: listing it,
// one host's variables, and a run whose one task reads group_vars and
// hostvars on every host; the run again at 100 hosts shows whether the cost
// per host grows with the number of hosts.
type inventoryResult struct {
	list, host       stats
	run1000, run100  stats
	hosts1k, hosts1h int
}

func (b *bench) runInventory() inventoryResult {
	big, small := b.largeInventory(1000), b.largeInventory(100)
	play := filepath.Join(b.work, "hostvars.yml")
	b.write(play, `- hosts: all
  gather_facts: false
  tasks:
    - debug:
        msg: "{{ app_url }} {{ hostvars[groups['g0'][0]]['region'] }} {{ group_names | length }}"
`)
	cmds := map[string]command{
		"list":    {argv: []string{b.ferry, "inventory", "-i", big, "--list"}},
		"host":    {argv: []string{b.ferry, "inventory", "-i", big, "--host", "h0500"}},
		"run1000": {argv: []string{b.ferry, "run", play, "-i", big, "-f", "50"}},
		"run100":  {argv: []string{b.ferry, "run", play, "-i", small, "-f", "50"}},
	}
	samples := map[string][]sample{}
	for rep := 0; rep < b.reps; rep++ {
		for _, name := range []string{"list", "host", "run1000", "run100"} {
			s := b.mustMeasure(fmt.Sprintf("inventory-%s-%d", name, rep), cmds[name])
			b.progress("inventory", name, rep, s)
			samples[name] = append(samples[name], s)
		}
	}
	return inventoryResult{list: median(samples["list"]), host: median(samples["host"]),
		run1000: median(samples["run1000"]), run100: median(samples["run100"]), hosts1k: 1000, hosts1h: 100}
}

// largeInventory writes a site directory of n local hosts in 10 groups, with
// group_vars for all and for every group (some of them templates over
// others) and a few host_vars.
func (b *bench) largeInventory(n int) string {
	dir := filepath.Join(b.work, fmt.Sprintf("site-%d", n))
	for _, d := range []string{"group_vars", "host_vars"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			b.h.Fatalf("%v", err)
		}
	}
	var inv strings.Builder
	for g := 0; g < 10; g++ {
		fmt.Fprintf(&inv, "[g%d]\n", g)
		for i := g; i < n; i += 10 {
			fmt.Fprintf(&inv, "h%04d ansible_host=10.%d.%d.%d\n", i, g, i/250, i%250+1)
		}
		var gv strings.Builder
		fmt.Fprintf(&gv, "region: region-%d\nrack: \"{{ region }}-r{{ %d }}\"\n", g, g)
		for k := 0; k < 10; k++ {
			fmt.Fprintf(&gv, "g%d_setting_%d: value-%d-%d\n", g, k, g, k)
		}
		b.write(filepath.Join(dir, "group_vars", fmt.Sprintf("g%d.yml", g)), gv.String())
	}
	// Not *.ini: Ansible and ferry skip that extension in an inventory directory.
	b.write(filepath.Join(dir, "hosts"), inv.String())
	var all strings.Builder
	all.WriteString("ansible_connection: local\ndomain: example.com\napp_port: 8443\n")
	all.WriteString("app_url: \"https://{{ inventory_hostname }}.{{ domain }}:{{ app_port }}\"\n")
	for k := 0; k < 30; k++ {
		fmt.Fprintf(&all, "setting_%d: \"value {{ domain }} %d\"\n", k, k)
	}
	all.WriteString("packages:\n")
	for k := 0; k < 20; k++ {
		fmt.Fprintf(&all, "  - pkg-%d\n", k)
	}
	b.write(filepath.Join(dir, "group_vars", "all.yml"), all.String())
	for i := 0; i < n; i += 100 {
		b.write(filepath.Join(dir, "host_vars", fmt.Sprintf("h%04d.yml", i)), "app_port: 9443\nrole: leader\n")
	}
	return dir
}

func perHost(s stats, hosts int) time.Duration { return s.wall / time.Duration(hosts) }
