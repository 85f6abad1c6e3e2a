package pip

import (
	"regexp"
	"slices"
	"strings"
)

// specifier is one clause of a requirement's version specifier (">=1.0"),
// with packaging 21.3's Specifier semantics. Its version is kept as written:
// packaging prints it so and compares through Version(spec).
type specifier struct {
	op, version string
}

func (s specifier) String() string { return s.op + s.version }

// specifierPattern is the clause as packaging's Specifier (or, for a version
// that is no PEP 440 version, LegacySpecifier) accepts it.
var specifierPattern = regexp.MustCompile(`^\s*(~=|===|==|!=|<=|>=|<|>)\s*(\S*?)\s*$`)

// contains is Specifier.contains(v, prereleases=True).
func (s specifier) contains(raw string) bool {
	if s.op == "===" {
		return strings.EqualFold(raw, s.version) // str(LegacyVersion) is the text
	}
	v, ok := parseVersion(raw)
	if !ok {
		return false // _require_version_compare: a legacy version matches nothing
	}
	if s.op == "==" || s.op == "!=" {
		return equal(v, s.version) == (s.op == "==")
	}
	spec, ok := parseVersion(s.version)
	if !ok {
		return false
	}
	switch s.op {
	case "~=":
		return compare(v.public(), spec) >= 0 && equal(v, compatiblePrefix(s.version))
	case "<=":
		return compare(v.public(), spec) <= 0
	case ">=":
		return compare(v.public(), spec) >= 0
	case "<":
		return compare(v, spec) < 0 &&
			!(!spec.isPrerelease() && v.isPrerelease() && compare(v.baseVersion(), spec.baseVersion()) == 0)
	case ">":
		sameBase := compare(v.baseVersion(), spec.baseVersion()) == 0
		return compare(v, spec) > 0 && !(spec.post == nil && v.post != nil && sameBase) && !(v.local != nil && sameBase)
	}
	return false
}

// equal is packaging's _compare_equal: a trailing .* matches the release
// as a prefix; a spec without a local part ignores v's.
func equal(v version, spec string) bool {
	if prefix, ok := strings.CutSuffix(spec, ".*"); ok {
		want := versionSplit(prefix)
		got := versionSplit(v.public().String())
		got = got[:min(len(got), len(want))]
		padWant, padGot := padVersion(want, got)
		return slices.Equal(padWant, padGot)
	}
	sv, ok := parseVersion(spec)
	if !ok {
		return false
	}
	if sv.local == nil {
		v = v.public()
	}
	return compare(v, sv) == 0
}

// compatiblePrefix is ~='s "==" clause: the spec's release without its last
// number and without any suffix, then .*.
func compatiblePrefix(spec string) string {
	var kept []string
	for _, part := range versionSplit(spec) {
		if isSuffix(part) {
			break
		}
		kept = append(kept, part)
	}
	if len(kept) > 0 {
		kept = kept[:len(kept)-1]
	}
	return strings.Join(kept, ".") + ".*"
}

func isSuffix(part string) bool {
	for _, p := range []string{"dev", "a", "b", "rc", "post"} {
		if strings.HasPrefix(part, p) {
			return true
		}
	}
	return false
}

var prefixPattern = regexp.MustCompile(`^([0-9]+)((?:a|b|c|rc)[0-9]+)$`)

// versionSplit is packaging's _version_split: the dot-separated parts, a
// pre-release split from the number it follows (1rc1: 1, rc1).
func versionSplit(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ".") {
		if m := prefixPattern.FindStringSubmatch(item); m != nil {
			out = append(out, m[1], m[2])
		} else {
			out = append(out, item)
		}
	}
	return out
}

// padVersion is packaging's _pad_version: both release parts (the leading
// runs of digits) padded with "0" to the same length, the rest kept.
func padVersion(left, right []string) ([]string, []string) {
	ln, rn := leadingDigits(left), leadingDigits(right)
	pad := func(parts []string, n, to int) []string {
		out := append([]string(nil), parts[:n]...)
		for i := n; i < to; i++ {
			out = append(out, "0")
		}
		return append(out, parts[n:]...)
	}
	return pad(left, ln, max(ln, rn)), pad(right, rn, max(ln, rn))
}

func leadingDigits(parts []string) int {
	for i, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return i
		}
	}
	return len(parts)
}
