package probe

import (
	"slices"
	"strings"
)

// distFiles are DistributionFiles.OSDIST_LIST (module_utils/facts/system/
// distribution.py): the files 2.14 tries in turn, each with the name of its
// parser; the first one whose parser claims it is the distribution file.
var distFiles = []struct {
	path, name string
	allowEmpty bool
}{
	{"/etc/altlinux-release", "Altlinux", false}, {"/etc/oracle-release", "OracleLinux", false},
	{"/etc/slackware-version", "Slackware", false}, {"/etc/centos-release", "CentOS", false},
	{"/etc/redhat-release", "RedHat", false}, {"/etc/vmware-release", "VMwareESX", true},
	{"/etc/openwrt_release", "OpenWrt", false}, {"/etc/os-release", "Amazon", false},
	{"/etc/system-release", "Amazon", false}, {"/etc/alpine-release", "Alpine", false},
	{"/etc/arch-release", "Archlinux", true}, {"/etc/os-release", "Archlinux", false},
	{"/etc/os-release", "SUSE", false}, {"/etc/SuSE-release", "SUSE", false},
	{"/etc/gentoo-release", "Gentoo", false}, {"/etc/os-release", "Debian", false},
	{"/etc/lsb-release", "Debian", false}, {"/etc/lsb-release", "Mandriva", false},
	{"/etc/sourcemage-release", "SMGL", false}, {"/usr/lib/os-release", "ClearLinux", false},
	{"/etc/coreos/update.conf", "Coreos", false}, {"/etc/os-release", "Flatcar", false},
	{"/etc/os-release", "NA", false},
}

// distFilePaths are the files distFiles names, for systemScript.
func distFilePaths() string {
	var paths []string
	for _, d := range distFiles {
		if !slices.Contains(paths, d.path) {
			paths = append(paths, d.path)
		}
	}
	return strings.Join(paths, " ")
}

// distFileFacts adds distribution_file_path, _variety and _parsed as
// process_dist_files finds them ("dist=<path> <size> <base64>" lines: the
// files that exist). A file allowed empty is taken as it is, unparsed.
func (g *gathered) distFileFacts(facts map[string]any) {
	type file struct {
		size string
		data string
	}
	files := map[string]file{}
	for _, line := range g.multi["dist"] {
		f := strings.SplitN(line, " ", 3)
		if len(f) == 3 {
			files[f[0]] = file{f[1], unb64(f[2])}
		}
	}
	for _, d := range distFiles {
		f, ok := files[d.path]
		if !ok || (f.size == "0" && !d.allowEmpty) {
			continue
		}
		if d.allowEmpty {
			facts["ansible_distribution_file_path"], facts["ansible_distribution_file_variety"] = d.path, d.name
			return
		}
		data := strings.Trim(strings.TrimSpace(f.data), `'"\`)
		if distFileClaims(d.name, data, g.raw["os_id"]) {
			facts["ansible_distribution_file_path"], facts["ansible_distribution_file_variety"] = d.path, d.name
			facts["ansible_distribution_file_parsed"] = true
			return
		}
	}
}

// distFileClaims is whether the parser of name takes the file's text.
func distFileClaims(name, data, osID string) bool {
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(data, w) {
				return true
			}
		}
		return false
	}
	switch name {
	case "Altlinux", "OracleLinux", "RedHat", "SMGL", "Alpine", "NA": // a search string, or no condition
		return true
	case "Archlinux":
		return has("Arch Linux")
	case "SUSE":
		return strings.Contains(strings.ToLower(data), "suse")
	case "Debian":
		return has("Debian", "Raspbian", "Ubuntu", "SteamOS", "Kali", "Parrot", "Devuan", "Cumulus", "Mint",
			"UOS", "Uos", "uos", "Deepin", "deepin")
	case "ClearLinux":
		for _, line := range strings.Split(data, "\n") {
			if n, ok := strings.CutPrefix(line, "NAME="); ok && strings.Contains(n, "Clear Linux") {
				return true
			}
		}
		return false
	case "Coreos", "Flatcar":
		return strings.ToLower(osID) == strings.ToLower(name) && data != ""
	case "CentOS":
		return has("CentOS Stream", "TencentOS Server")
	case "Slackware", "OpenWrt", "Amazon", "Mandriva":
		return has(name)
	}
	return false // Gentoo and VMwareESX's have no parser
}

// distScript prints a dist= line for each of distFiles' files the host has.
func distScript() string {
	return "for p in " + distFilePaths() + `; do
  [ -e "$p" ] && echo "dist=$p $(stat -L -c %s "$p" 2>/dev/null) $(base64 -w0 < "$p" 2>/dev/null)"
done
`
}
