// Package pkgfacts is the package_facts module: the host's installed
// packages as the fact packages, as ansible-core 2.14's package_facts.py
// returns them for the apt and rpm managers.
package pkgfacts

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ferry-sh/ferry/internal/keyorder"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

func init() { modules.Register(packageFacts{}) }

type packageFacts struct{}

type packageFactsOptions struct {
	Manager  []string `opt:"manager" default:"auto" doc:"The package managers to read, in order: auto (every one: apt, then rpm; past one that lists no package), apt, rpm. ferry reads apt and rpm only; pacman, pkg, portage, apk and pkg_info are not read."`
	Strategy string   `opt:"strategy" default:"first" choices:"first,all" doc:"first: the first usable manager's packages; all: every usable manager's."`
}

func (packageFacts) Spec() modules.Spec {
	return modules.Spec{
		Name:    "package_facts",
		Summary: "Return the host's installed packages (apt, rpm) as the fact packages",
		Args:    modules.OptionsOf[packageFactsOptions](),
		Check:   modules.CheckSupported,
	}
}

// managers are package_facts.py's PKG_MANAGERS; autoOrder is the order in
// which ferry's auto tries them.
var (
	managers  = []string{"rpm", "apt", "pacman", "pkg", "portage", "apk", "pkg_info"}
	autoOrder = []string{"apt", "rpm", "pacman", "pkg", "portage", "apk", "pkg_info"}
)

// readers are the managers ferry reads, each a read-only script and the
// parser of its output. A manager is usable where package_facts.py's is:
// its Python library imports on the host (rpm, apt), which the script
// checks first, printing "unusable" when it does not.
var readers = map[string]struct {
	script string
	parse  func(out string) map[string]any
}{
	"rpm": {rpmScript, parseRPM},
	"apt": {aptScript, parseApt},
}

func (packageFacts) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[packageFactsOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	wanted, auto, err := wantedManagers(o.Manager)
	if err != nil {
		return modules.Result{Failed: true, Msg: err.Error(), Data: map[string]any{"msg": err.Error()}}, nil
	}
	packages := map[string]any{}
	found := 0
	var warnings []any
	for _, m := range wanted {
		if found > 0 && o.Strategy == "first" && (len(packages) > 0 || !auto) {
			break
		}
		r, ok := readers[m]
		if !ok {
			if slices.Contains(o.Manager, m) {
				warnings = append(warnings, fmt.Sprintf("ferry does not read %s's packages", m))
			}
			continue
		}
		out, err := hostcmd.Query(ctx, h, r.script)
		if err != nil {
			return modules.Result{}, err
		}
		if strings.HasPrefix(out.Stdout, "unusable") {
			continue
		}
		found++
		listed := r.parse(out.Stdout)
		for _, name := range keyorder.Keys(listed) {
			prev, _ := packages[name].([]any)
			keyorder.Put(packages, name, append(prev, listed[name].([]any)...))
		}
	}
	if found == 0 {
		msg := fmt.Sprintf("Could not detect a supported package manager from the following list: %s, or the required Python library is not installed. Check warnings for details.", pyList(wanted))
		return modules.Result{Failed: true, Msg: msg, Data: map[string]any{"msg": msg}}, nil
	}
	res := modules.FactsResult(h, map[string]any{"packages": packages})
	if len(warnings) > 0 {
		res.Data["warnings"] = warnings
	}
	return res, nil
}

// wantedManagers is the list package_facts.py walks: the given managers,
// lowercased, auto replaced by every manager (appended, as list.extend),
// and whether auto was given. ansible-core's auto order is a Python set's,
// which changes from run to run (rpm's nothing or apt's packages where
// both libraries are installed); ferry's is apt, rpm, then the others, and
// auto goes on past a manager that lists no package (README).
func wantedManagers(given []string) ([]string, bool, error) {
	var out []string
	auto := false
	for _, m := range given {
		m = strings.ToLower(m)
		if m == "auto" {
			auto = true
			continue
		}
		out = append(out, m)
	}
	if auto {
		out = append(out, autoOrder...)
	}
	var unsupported []string
	for _, m := range out {
		if !slices.Contains(managers, m) && !slices.Contains(unsupported, m) {
			unsupported = append(unsupported, m)
		}
	}
	if len(unsupported) > 0 {
		return nil, auto, fmt.Errorf("Unsupported package managers requested: %s", strings.Join(unsupported, ", "))
	}
	return out, auto, nil
}

func pyList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = "'" + s + "'"
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// pythonLib prints "unusable" unless a Python of the host imports the
// manager's library, as package_facts.py's LibMgr (and its respawn on the
// system's interpreters) requires.
func pythonLib(lib string) string {
	return `found=
for py in /usr/libexec/platform-python /usr/bin/python3 /usr/bin/python2 python3; do
  if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import ` + lib + `' >/dev/null 2>&1; then found=yes; break; fi
done
test -n "$found" || { echo unusable; exit 0; }
`
}

// rpmScript lists the rpm database: name, version, release, epoch, arch.
var rpmScript = pythonLib("rpm") + `command -v rpm >/dev/null 2>&1 || { echo unusable; exit 0; }
rpm -qa --qf '%{NAME}\t%{VERSION}\t%{RELEASE}\t%{EPOCH}\t%{ARCH}\n'`

func parseRPM(out string) map[string]any {
	packages := map[string]any{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 5 {
			continue
		}
		var epoch any // None when the package has none
		if n, err := strconv.Atoi(f[3]); err == nil {
			epoch = n
		}
		arch := any(f[4])
		if f[4] == "(none)" { // gpg-pubkey
			arch = nil
		}
		p := details("name", f[0], "version", f[1], "release", f[2], "epoch", epoch, "arch", arch, "source", "rpm")
		prev, _ := packages[f[0]].([]any)
		keyorder.Put(packages, f[0], append(prev, p)) // the database's order, as package_facts.py's dict
	}
	return packages
}

// aptScript lists the installed packages (python-apt's is_installed: a
// current version, which dpkg's not-installed and config-files states lack)
// with its name, version, architecture and section ("P" lines), after the
// native architecture ("N"); then, for each of apt's package lists that has
// an installed version, the Origin of the list's Release file and the
// list's section ("O" lines), which python-apt gives as the version's
// origin and section.
// Compressed lists (Acquire::GzipIndexes) are not read: their packages'
// origin is "".
var aptScript = pythonLib("apt") + `echo "N\t$(dpkg --print-architecture)"
dpkg-query -W -f='P\t${db:Status-Status}\t${Package}\t${Version}\t${Architecture}\t${Section}\n'
installed=$(dpkg-query -W -f='${Package}\t${Version}\t${Architecture}\n')
for f in /var/lib/apt/lists/*_Packages; do
  [ -f "$f" ] || continue
  base=${f%%_dists_*}; rest=${f#*_dists_}; suite=${rest%%_*}
  origin=
  for r in "${base}_dists_${suite}_InRelease" "${base}_dists_${suite}_Release"; do
    if [ -f "$r" ]; then origin=$(sed -n 's/^Origin: //p' "$r" | head -n 1); break; fi
  done
  printf '%s\n' "$installed" | awk -v o="$origin" -F'\n' '
    FNR == NR { want[$0] = 1; next }
    /^Package: / { p = substr($0, 10) }
    /^Version: / { v = substr($0, 10) }
    /^Architecture: / { a = substr($0, 15) }
    /^Section: / { s = substr($0, 10) }
    /^$/ { if ((p "\t" v "\t" a) in want) print "O\t" p "\t" v "\t" a "\t" o "\t" s; p = v = a = s = "" }
    END { if ((p "\t" v "\t" a) in want) print "O\t" p "\t" v "\t" a "\t" o "\t" s }' - "$f"
done`

func parseApt(out string) map[string]any {
	native := ""
	lists := map[string][]string{} // package, version, arch -> the first list's origin and section
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(line, "\t")
		if len(f) == 2 && f[0] == "N" {
			native = f[1]
		}
		if len(f) != 6 || f[0] != "O" {
			continue
		}
		key := strings.Join(f[1:4], "\t")
		if _, seen := lists[key]; !seen {
			lists[key] = f[4:]
		}
	}
	packages := map[string]any{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 6 || f[0] != "P" || f[1] == "not-installed" || f[1] == "config-files" {
			continue
		}
		name, version, arch := f[2], f[3], f[4]
		if arch != native && arch != "all" { // python-apt's name for another architecture's package
			name += ":" + arch
		}
		origin, section := "", f[5]
		if l, ok := lists[f[2]+"\t"+version+"\t"+arch]; ok { // python-apt's first package file is the list
			origin, section = l[0], l[1]
		}
		var category any = section
		if section == "" {
			category = nil
		}
		keyorder.Put(packages, name, []any{details("name", name, "version", version, "arch", arch, "category", category, "origin", origin, "source", "apt")})
	}
	return packages
}

// details is one package's mapping, its keys in package_facts.py's order
// (get_package_details' dict, then source).
func details(kv ...any) map[string]any {
	b := keyorder.NewBuilder(len(kv) / 2)
	for i := 0; i+1 < len(kv); i += 2 {
		b.Put(kv[i].(string), kv[i+1])
	}
	return b.Map()
}
