package probe_test

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/rootfs"
)

// notGathered are the facts of 2.14's setup ferry does not gather (README,
// modules table).
var notGathered = []string{"ansible_devices", "ansible_device_links"}

// TestCompareSystemFacts gathers every fact with ferry's setup and 2.14's in
// one run on a throw-away root with local facts of every kind (JSON, INI,
// scripts, a failing script, bad files, a broken link, other fact_paths),
// dnf beside apt (pkg_mgr stays the family's own, which package: tasks use),
// an /etc/lsb-release, an /etc/resolv.conf and Sydney's time zone: the
// same facts, key by key,
// with the same values but for what moves between two runs (the time,
// uptime, free memory, load, the client's port) and what the SSH session
// itself sets (a pty's TERM and SSH_TTY; Ansible's ssh sends LANG). The
// subsets choose the same facts (python's too: the interpreter Ansible runs
// modules with), the bad local facts warn alike, and the facts read as
// variables say the same.
func TestCompareSystemFacts(t *testing.T) {
	h := rootfs.Start(t)
	if _, err := h.Try("command -v dnf && command -v apt-get"); err != nil {
		t.Fatalf("the root should have dnf and apt-get (pkg_mgr is the family's own, apt): %v", err)
	}
	writeLocalFacts(t, h)
	playbook, _ := filepath.Abs(filepath.Join("testdata", "compare", "setup_facts.yml"))
	f, a, ran := ansiblecmp.Both(t, ansiblecmp.Run{Playbook: playbook, Inventory: h.Inventory(t)})
	if !ran {
		return
	}
	ansiblecmp.SameRecap(t, f, a)
	ours, theirs := gatheredFacts(t, f, "all"), gatheredFacts(t, a, "all")
	for _, name := range slices.Sorted(maps.Keys(theirs)) {
		if _, ok := ours[name]; !ok && !slices.Contains(notGathered, name) {
			t.Errorf("ferry does not gather %s (2.14: %s)", name, show(theirs[name]))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(ours)) {
		want, ok := theirs[name]
		if !ok {
			t.Errorf("ferry gathers %s, 2.14 does not", name)
			continue
		}
		if why := factDiffers(name, ours[name], want); why != "" {
			t.Errorf("%s: %s\nferry: %s\n2.14:  %s", name, why, show(ours[name]), show(want))
		}
	}
	dt, _ := ours["ansible_date_time"].(map[string]any)
	if dt["tz_dst"] != "AEDT" || dt["tz_offset"] != "+1100" && dt["tz_offset"] != "+1000" {
		t.Errorf("the test's zone is not in the facts: %v", dt)
	}
	for _, task := range []string{"min", "!all,!min,local", "!all,!min,virtual,env", "!all,!min,hardware",
		"!all,!min,network", "!min,!hardware,!network", "!all,!min,date_time,dns,lsb,cmdline,fips,apparmor,selinux,user",
		"!all,!min,chroot,loadavg,iscsi,nvme,fibre_channel_wwn", "!all,!env,!local,!dns", "filter",
		"python subset", "no python", "python filter"} {
		got := slices.Sorted(maps.Keys(gatheredFacts(t, f, task)))
		want := slices.DeleteFunc(slices.Sorted(maps.Keys(gatheredFacts(t, a, task))), func(n string) bool {
			return slices.Contains(notGathered, n)
		})
		if !slices.Equal(got, want) {
			t.Errorf("%s: ferry returns %v\n2.14 (of the facts ferry gathers) %v", task, got, want)
		}
	}
	ansiblecmp.SameFields(t, f, a, "all", "target", "warnings", "ansible_facts.ansible_local")
	ansiblecmp.SameFields(t, f, a, "fact_path", "target", "ansible_facts")
	ansiblecmp.SameFields(t, f, a, "missing fact_path", "target", "ansible_facts")
	ansiblecmp.SameFields(t, f, a, "interpolation error", "target", "ansible_facts", "warnings")
	ansiblecmp.SameFields(t, f, a, "read as roles do", "target", "msg")
	ansiblecmp.SameFields(t, f, a, "python subset", "target", "ansible_facts.ansible_python", "ansible_facts.ansible_python_version")
	ansiblecmp.SameFields(t, f, a, "python as a variable", "target", "ansible_python")
}

// writeLocalFacts puts the local facts, /etc/lsb-release, /etc/resolv.conf
// and a time zone into the root.
func writeLocalFacts(t *testing.T, h *rootfs.Host) {
	files := map[string]string{
		"/etc/ansible/facts.d/a_json.fact": `{"answer": 42, "list": [1, "two", 3.5], "nested": {"ok": true, "none": null}}`,
		"/etc/ansible/facts.d/b_ini.fact": "; a comment\n[DEFAULT]\nbase = /opt\n\n[paths]\nHome = %(base)s/app\n" +
			"pct = 100%%\nmulti = first\n  second\n\n  third\nempty =\n[other]\nx: 1\n# the end\n",
		"/etc/ansible/facts.d/c_exec.fact":     "#!/bin/sh\necho '{\"from\": \"script\"}'\n",
		"/etc/ansible/facts.d/d_fail.fact":     "#!/bin/sh\necho oops >&2\necho 'not this'\nexit 3\n",
		"/etc/ansible/facts.d/e_bad.fact":      "neither JSON nor INI\n",
		"/srv/broken/a.fact":                   `{"before": 1}`,
		"/srv/broken/b.fact":                   "bad",
		"/srv/broken/c.fact":                   "[s]\na = %(missing)s\n",
		"/etc/ansible/facts.d/g_empty.fact":    "",
		"/etc/ansible/facts.d/h_ini_exec.fact": "#!/bin/sh\nprintf '[from_script]\\nkey=value\\n'\n",
		"/etc/ansible/facts.d/i_dup.fact":      "[s]\na = 1\nA = 2\n",
		"/etc/ansible/facts.d/.hidden.fact":    `{"hidden": true}`,
		"/etc/ansible/facts.d/not_a.facts":     `{"other": true}`,
		"/srv/facts/one.fact":                  "[one]\nkey = elsewhere\n",
		"/etc/lsb-release": "DISTRIB_ID=Debian\nDISTRIB_RELEASE=12.4\nDISTRIB_CODENAME=bookworm\n" +
			"DISTRIB_DESCRIPTION=\"Debian GNU/Linux 12 (bookworm)\"\n",
		"/etc/resolv.conf": "# written by the test\ndomain example.test\nsearch a.test b.test\nnameserver 10.0.0.1\n" +
			"nameserver 10.0.0.2 10.0.0.3\n; another comment\noptions ndots:2 rotate timeout:1\nsortlist 10.0.0.0/255.0.0.0\n",
	}
	for name, content := range files {
		path := h.Path(name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if strings.HasPrefix(content, "#!") {
			mode = 0o755
		}
		os.Remove(path) // resolv.conf may be a link to this machine's
		if err := os.WriteFile(path, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/nowhere", h.Path("/etc/ansible/facts.d/j_broken.fact")); err != nil {
		t.Fatal(err)
	}
	// A zone with summer time south of the equator: tz_dst is its summer name.
	os.Remove(h.Path("/etc/localtime"))
	if err := os.Symlink("/usr/share/zoneinfo/Australia/Sydney", h.Path("/etc/localtime")); err != nil {
		t.Fatal(err)
	}
}

func gatheredFacts(t *testing.T, o ansiblecmp.Outcome, task string) map[string]any {
	facts, _ := ansiblecmp.Field(o.Result(t, task, "target"), "ansible_facts")
	m, _ := facts.(map[string]any)
	return m
}

// factDiffers says how a fact of ferry's differs from 2.14's, "" when alike.
// Facts that change between two runs compare by their shape; the mounts'
// are TestCompareSetupFacts'.
func factDiffers(name string, ours, theirs any) string {
	switch {
	case name == "ansible_date_time":
		return sameDateTime(ours, theirs)
	case name == "ansible_env":
		return sameEnv(ours.(map[string]any), theirs.(map[string]any))
	case name == "ansible_uptime_seconds":
		if o, ok1 := ours.(float64); !ok1 || o < 0 || o > theirs.(float64) { // ferry runs first
			return "not a number of seconds up to 2.14's"
		}
		return ""
	case name == "ansible_memfree_mb", name == "ansible_swapfree_mb", name == "ansible_loadavg":
		return sameShape(ours, theirs)
	case name == "ansible_memory_mb":
		if show(ours.(map[string]any)["real"].(map[string]any)["total"]) != show(theirs.(map[string]any)["real"].(map[string]any)["total"]) {
			return "real.total differs"
		}
		return sameShape(ours, theirs)
	case name == "ansible_mounts":
		return ""
	case strings.HasPrefix(name, "ansible_virtualization_tech_"):
		return sameSorted(ours, theirs)
	}
	if show(ours) != show(theirs) {
		return "differs"
	}
	return ""
}

var digits = regexp.MustCompile(`[0-9]`)

// sameDateTime: the same fields, each of the same form (digits stand for
// digits), the same time zone.
func sameDateTime(ours, theirs any) string {
	o, a := ours.(map[string]any), theirs.(map[string]any)
	if !slices.Equal(slices.Sorted(maps.Keys(o)), slices.Sorted(maps.Keys(a))) {
		return "other fields"
	}
	days := []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
	for k, v := range a {
		switch k {
		case "tz", "tz_dst", "tz_offset":
			if o[k] != v {
				return k + " differs"
			}
		case "weekday":
			if !slices.Contains(days, o[k].(string)) {
				return "weekday is no day"
			}
		default:
			if digits.ReplaceAllString(o[k].(string), "0") != digits.ReplaceAllString(v.(string), "0") {
				return k + " has another form"
			}
		}
	}
	return ""
}

// sessionEnv are the variables the SSH session sets, not setup: TERM and
// SSH_TTY come with the pty Ansible's ssh asks for, LANG is what its ssh
// client sends (SendEnv), _ the login shell's last command.
var sessionEnv = []string{"TERM", "SSH_TTY", "LANG", "_"}

func sameEnv(ours, theirs map[string]any) string {
	for k, v := range theirs {
		switch {
		case slices.Contains(sessionEnv, k):
		case k == "SSH_CLIENT" || k == "SSH_CONNECTION": // the client's port differs
			if ours[k] == nil || strings.Fields(ours[k].(string))[0] != strings.Fields(v.(string))[0] {
				return k + " differs"
			}
		case show(ours[k]) != show(v):
			return k + " differs"
		}
	}
	for k := range ours {
		if _, ok := theirs[k]; !ok && !slices.Contains(sessionEnv, k) {
			return "ferry has " + k
		}
	}
	return ""
}

// sameShape: the same keys at every level, numbers where 2.14 has numbers.
func sameShape(ours, theirs any) string {
	switch a := theirs.(type) {
	case map[string]any:
		o, ok := ours.(map[string]any)
		if !ok || !slices.Equal(slices.Sorted(maps.Keys(o)), slices.Sorted(maps.Keys(a))) {
			return "other keys"
		}
		for k := range a {
			if why := sameShape(o[k], a[k]); why != "" {
				return k + ": " + why
			}
		}
	case float64:
		if _, ok := ours.(float64); !ok {
			return "not a number"
		}
	default:
		if show(ours) != show(theirs) {
			return "differs"
		}
	}
	return ""
}

func sameSorted(ours, theirs any) string {
	sorted := func(v any) []string {
		var out []string
		l, _ := v.([]any)
		for _, x := range l {
			out = append(out, x.(string))
		}
		slices.Sort(out)
		return out
	}
	if !slices.Equal(sorted(ours), sorted(theirs)) {
		return "other technologies"
	}
	return ""
}
