package probe

import (
	"encoding/base64"
	"github.com/ferry-sh/ferry/internal/anylist"
	"strconv"
	"strings"
	"time"
)

// The facts of ansible-core 2.14's system collectors (module_utils/facts/
// system/*.py) from what systemScript printed: each function names the
// collector it follows.

// unb64 decodes a value systemScript sent base64-encoded ("" when absent).
func unb64(s string) string {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return ""
	}
	return string(b)
}

// systemFacts adds the facts of the env, date_time, dns, cmdline, lsb,
// apparmor, fips, selinux, user, loadavg, platform, chroot, nvme, iscsi and
// fc_wwn collectors.
func (g *gathered) systemFacts(facts map[string]any) {
	raw := g.raw
	env := envFacts(unb64(raw["environ"]))
	facts["ansible_env"] = env
	if dt := dateTimeFacts(raw["date"], raw["tzjan"], raw["tzjul"]); dt != nil {
		facts["ansible_date_time"] = dt
	}
	facts["ansible_dns"] = dnsFacts(unb64(raw["resolv"]))
	if data := strings.TrimSpace(unb64(raw["cmdline"])); data != "" {
		facts["ansible_cmdline"] = cmdlineFacts(data, false)
		facts["ansible_proc_cmdline"] = cmdlineFacts(data, true)
	}
	if lsb, ok := lsbFacts(unb64(raw["lsb_bin"]), unb64(raw["lsb_file"])); ok {
		facts["ansible_lsb"] = lsb
	}
	facts["ansible_apparmor"] = map[string]any{"status": map[bool]string{true: "enabled", false: "disabled"}[raw["apparmor"] == "1"]}
	facts["ansible_fips"] = strings.TrimSpace(raw["fips"]) == "1"
	g.selinuxFacts(facts)
	if ids := strings.Fields(raw["ids"]); len(ids) == 3 {
		real, _ := strconv.Atoi(ids[0])
		effective, _ := strconv.Atoi(ids[1])
		group, _ := strconv.Atoi(ids[2])
		// user.py gives os.getgid() as effective_group_id too.
		facts["ansible_real_user_id"], facts["ansible_effective_user_id"] = real, effective
		facts["ansible_real_group_id"], facts["ansible_effective_group_id"] = group, group
	}
	if l := strings.Fields(raw["loadavg"]); len(l) == 3 {
		load := map[string]any{}
		for i, k := range []string{"1m", "5m", "15m"} {
			load[k], _ = strconv.ParseFloat(l[i], 64)
		}
		facts["ansible_loadavg"] = load
	}
	g.platformFacts(facts)
	capsFacts(raw["capsh"], facts)
	_, debianChroot := env["debian_chroot"]
	facts["ansible_is_chroot"] = raw["chroot"] == "1" || debianChroot && env["debian_chroot"] != ""
	facts["ansible_hostnqn"] = raw["hostnqn"]
	facts["ansible_iscsi_iqn"] = raw["iscsi_iqn"]
	wwn := []any{}
	for _, w := range g.multi["wwn"] {
		wwn = append(wwn, strings.TrimRight(w, " \t\r")[min(2, len(w)):])
	}
	facts["ansible_fibre_channel_wwn"] = wwn
}

// platformFacts adds machine_id, userspace_bits, userspace_architecture and
// domain as platform.py computes them.
func (g *gathered) platformFacts(facts map[string]any) {
	if id := g.raw["machine_id"]; id != "" {
		facts["ansible_machine_id"] = id
	}
	bits := g.raw["long_bit"]
	facts["ansible_userspace_bits"] = bits
	if g.raw["arch"] == "x86_64" {
		switch bits {
		case "64":
			facts["ansible_userspace_architecture"] = "x86_64"
		case "32":
			facts["ansible_userspace_architecture"] = "i386"
		}
	}
	fqdn, _ := facts["ansible_fqdn"].(string)
	_, domain, _ := strings.Cut(fqdn, ".")
	facts["ansible_domain"] = domain
}

// envFacts is env.py's ansible_env: the environment setup runs with, here
// the environment of the shell running the script (/proc/$$/environ). The
// first of two same names wins, as in Python's os.environ.
func envFacts(environ string) map[string]any {
	env := map[string]any{}
	for _, kv := range strings.Split(environ, "\x00") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			continue
		}
		if _, dup := env[k]; !dup {
			env[k] = v
		}
	}
	return env
}

// dateTimeFacts is date_time.py's ansible_date_time from one `date` of the
// host (its local time, zone and the instant's epoch and nanoseconds) and
// the zone in January and July, from which Python's time.tzname[1] comes
// (timemodule.c's init_timezone: the summer zone, January's south of the
// equator).
func dateTimeFacts(line, jan, jul string) map[string]any {
	f := strings.Split(line, "|")
	if len(f) != 13 {
		return nil
	}
	year, month, weekday, wday, week, day, hour, minute, second, epoch, nanos, tz, offset :=
		f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12]
	sec, err := strconv.ParseInt(epoch, 10, 64)
	if err != nil {
		return nil
	}
	micro := (nanos + "000000")[:6]
	utc := time.Unix(sec, 0).UTC()
	return map[string]any{
		"year": year, "month": month, "weekday": weekday, "weekday_number": wday, "weeknumber": week,
		"day": day, "hour": hour, "minute": minute, "second": second, "epoch": epoch, "epoch_int": epoch,
		"date":                year + "-" + month + "-" + day,
		"time":                hour + ":" + minute + ":" + second,
		"iso8601_micro":       utc.Format("2006-01-02T15:04:05") + "." + micro + "Z",
		"iso8601":             utc.Format("2006-01-02T15:04:05Z"),
		"iso8601_basic":       year + month + day + "T" + hour + minute + second + micro,
		"iso8601_basic_short": year + month + day + "T" + hour + minute + second,
		"tz":                  tz, "tz_dst": dstName(jan, jul, tz), "tz_offset": offset,
	}
}

// dstName is the second of Python's time.tzname from the zone's name and
// UTC offset in January and July ("CET|+0100", "CEST|+0200").
func dstName(jan, jul, fallback string) string {
	jn, jo, ok1 := strings.Cut(jan, "|")
	un, uo, ok2 := strings.Cut(jul, "|")
	if !ok1 || !ok2 {
		return fallback
	}
	janOff, _ := strconv.Atoi(jo)
	julOff, _ := strconv.Atoi(uo)
	if julOff < janOff { // the zone is ahead in January: southern summer time
		return jn
	}
	return un
}

// dnsFacts is dns.py's ansible_dns from /etc/resolv.conf.
func dnsFacts(conf string) map[string]any {
	dns := map[string]any{}
	for _, line := range anylist.Split(conf) {
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") || strings.TrimSpace(line) == "" {
			continue
		}
		tokens := strings.Fields(line)
		switch tokens[0] {
		case "nameserver":
			list, _ := dns["nameservers"].([]any)
			dns["nameservers"] = append(nonNil(list), anylist.Of(tokens[1:])...)
		case "domain":
			if len(tokens) > 1 {
				dns["domain"] = tokens[1]
			}
		case "search", "sortlist":
			dns[tokens[0]] = nonNil(anylist.Of(tokens[1:]))
		case "options":
			opts := map[string]any{}
			for _, o := range tokens[1:] {
				k, v, ok := strings.Cut(o, ":")
				if ok && v != "" {
					opts[k] = v
				} else {
					opts[k] = true
				}
			}
			dns["options"] = opts
		}
	}
	return dns
}

// cmdlineFacts is cmdline.py's ansible_cmdline (the last value of a
// repeated key wins) or, with lists, ansible_proc_cmdline (a repeated key's
// values in a list). Words come from Python's shlex.split(posix=False); an
// unclosed quote leaves the fact empty, as its ValueError does.
func cmdlineFacts(data string, lists bool) map[string]any {
	out := map[string]any{}
	words, ok := shlexNonPOSIX(data)
	if !ok {
		return out
	}
	for _, w := range words {
		k, v, ok := strings.Cut(w, "=")
		switch prev, seen := out[k]; {
		case !ok:
			out[k] = true
		case !lists || !seen:
			out[k] = v
		default:
			if l, isList := prev.([]any); isList {
				out[k] = append(l, v)
			} else {
				out[k] = []any{prev, v}
			}
		}
	}
	return out
}

// shlexNonPOSIX splits as shlex.split(s, posix=False): at whitespace, but a
// word that starts with a quote runs to the matching quote, quotes kept,
// and ends there. ok is false for an unclosed quote.
func shlexNonPOSIX(s string) (words []string, ok bool) {
	var cur strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			flush()
		case !inWord && (c == '"' || c == '\''):
			end := strings.IndexByte(s[i+1:], c)
			if end < 0 {
				return nil, false
			}
			words = append(words, s[i:i+end+2])
			i += end + 1
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	flush()
	return words, true
}

// lsbFacts is lsb.py's ansible_lsb: `lsb_release -a` when the host has it
// and it says something, else /etc/lsb-release. ok is false where
// lsb.py's collector fails (a line of the file without '='), which leaves
// the fact out.
func lsbFacts(bin, file string) (map[string]any, bool) {
	lsb := map[string]string{}
	for _, line := range anylist.Split(bin) {
		_, value, found := strings.Cut(line, ":")
		if !found {
			continue
		}
		value = strings.TrimSpace(value)
		for _, k := range [][2]string{{"LSB Version:", "release"}, {"Distributor ID:", "id"},
			{"Description:", "description"}, {"Release:", "release"}, {"Codename:", "codename"}} {
			if strings.Contains(line, k[0]) {
				lsb[k[1]] = value
				break
			}
		}
	}
	if len(lsb) == 0 {
		for _, line := range anylist.Split(strings.TrimSpace(file)) {
			_, value, found := strings.Cut(line, "=")
			if !found {
				return nil, false
			}
			value = strings.TrimSpace(value)
			for _, k := range [][2]string{{"DISTRIB_ID", "id"}, {"DISTRIB_RELEASE", "release"},
				{"DISTRIB_DESCRIPTION", "description"}, {"DISTRIB_CODENAME", "codename"}} {
				if strings.Contains(line, k[0]) {
					lsb[k[1]] = value
					break
				}
			}
		}
	}
	out := map[string]any{}
	if r, ok := lsb["release"]; ok {
		lsb["major_release"], _, _ = strings.Cut(r, ".")
	}
	for k, v := range lsb {
		out[k] = strings.Trim(v, `'"\`)
	}
	return out, true
}

// selinuxFacts is selinux.py's: without libselinux (which Ansible loads
// through ctypes) a status saying so; else enabled or disabled, and for
// an enabled host its policy version, modes and policy type.
func (g *gathered) selinuxFacts(facts map[string]any) {
	raw := g.raw
	if raw["selinux_lib"] != "1" {
		facts["ansible_selinux"] = map[string]any{"status": "Missing selinux Python library"}
		facts["ansible_selinux_python_present"] = false
		return
	}
	facts["ansible_selinux_python_present"] = true
	_, enabled := raw["selinux_enforce"]
	if !enabled {
		facts["ansible_selinux"] = map[string]any{"status": "disabled"}
		return
	}
	modes := map[string]string{"1": "enforcing", "0": "permissive", "-1": "disabled",
		"enforcing": "enforcing", "permissive": "permissive", "disabled": "disabled"}
	s := map[string]any{"status": "enabled", "policyvers": "unknown", "config_mode": "unknown",
		"mode": "unknown", "type": "unknown"}
	if v, err := strconv.Atoi(strings.TrimSpace(raw["selinux_policyvers"])); err == nil {
		s["policyvers"] = v
	}
	if m, ok := modes[strings.TrimSpace(raw["selinux_enforce"])]; ok {
		s["mode"] = m
	}
	for _, line := range anylist.Split(unb64(raw["selinux_config"])) {
		k, v, _ := strings.Cut(strings.TrimSpace(line), "=")
		switch k {
		case "SELINUX":
			if m, ok := modes[strings.ToLower(strings.TrimSpace(v))]; ok {
				s["config_mode"] = m
			}
		case "SELINUXTYPE":
			s["type"] = strings.TrimSpace(v)
		}
	}
	facts["ansible_selinux"] = s
}

// capsFacts is caps.py's: `capsh --print`'s Current: line, N/A without
// capsh.
func capsFacts(out string, facts map[string]any) {
	enforced, caps := any("N/A"), any("N/A")
	if out != "" {
		text := unb64(out)
		enforced, caps = "NA", []any{}
		for _, line := range anylist.Split(text) {
			if !strings.HasPrefix(line, "Current:") {
				continue
			}
			if strings.TrimSpace(strings.Split(line, ":")[1]) == "=ep" {
				enforced = "False"
				continue
			}
			enforced = "True"
			list := []any{}
			for _, c := range strings.Split(strings.Split(line, "=")[1], ",") {
				list = append(list, strings.TrimSpace(c))
			}
			caps = list
		}
	}
	facts["ansible_system_capabilities_enforced"], facts["ansible_system_capabilities"] = enforced, caps
}
