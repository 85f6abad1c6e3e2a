package pip

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// version is a PEP 440 version as the packaging library (21.3, the one
// setuptools vendors on Debian bookworm, where pip.py's pkg_resources comes
// from) parses it: pip.py's check mode compares `pip list`'s versions with
// the task's specifiers through it.
type version struct {
	epoch   int
	release []int
	pre     *segment // a, b or rc
	post    *int
	dev     *int
	local   []string // lower case, split on . _ -
}

type segment struct {
	letter string
	n      int
}

// versionPattern is packaging's VERSION_PATTERN, anchored.
var versionPattern = regexp.MustCompile(`(?i)^\s*v?(?:(?:(?P<epoch>[0-9]+)!)?(?P<release>[0-9]+(?:\.[0-9]+)*)` +
	`(?P<pre>[-_\.]?(?P<pre_l>(a|b|c|rc|alpha|beta|pre|preview))[-_\.]?(?P<pre_n>[0-9]+)?)?` +
	`(?P<post>(?:-(?P<post_n1>[0-9]+))|(?:[-_\.]?(?P<post_l>post|rev|r)[-_\.]?(?P<post_n2>[0-9]+)?))?` +
	`(?P<dev>[-_\.]?(?P<dev_l>dev)[-_\.]?(?P<dev_n>[0-9]+)?)?)` +
	`(?:\+(?P<local>[a-z0-9]+(?:[-_\.][a-z0-9]+)*))?\s*$`)

// preLetters are packaging's spellings of the pre-release kinds.
var preLetters = map[string]string{"a": "a", "alpha": "a", "b": "b", "beta": "b", "c": "rc", "rc": "rc", "pre": "rc", "preview": "rc"}

// parseVersion parses s; false for what packaging would make a LegacyVersion.
func parseVersion(s string) (version, bool) {
	m := versionPattern.FindStringSubmatch(s)
	if m == nil {
		return version{}, false
	}
	g := func(name string) string { return m[versionPattern.SubexpIndex(name)] }
	var v version
	v.epoch = atoi(g("epoch"))
	for _, part := range strings.Split(g("release"), ".") {
		v.release = append(v.release, atoi(part))
	}
	if g("pre_l") != "" {
		v.pre = &segment{preLetters[strings.ToLower(g("pre_l"))], atoi(g("pre_n"))}
	}
	if g("post") != "" {
		n := atoi(g("post_n1") + g("post_n2"))
		v.post = &n
	}
	if g("dev") != "" {
		n := atoi(g("dev_n"))
		v.dev = &n
	}
	if l := g("local"); l != "" {
		v.local = strings.FieldsFunc(strings.ToLower(l), func(r rune) bool { return r == '.' || r == '_' || r == '-' })
	}
	return v, true
}

// atoi is int() of a run of digits, 0 for none (packaging's implicit
// numbers); a number too large for an int saturates, which orders it last.
func atoi(s string) int {
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return int(^uint(0) >> 1)
	}
	return n
}

// String is packaging's normalized form (str(Version)).
func (v version) String() string {
	var b strings.Builder
	if v.epoch != 0 {
		b.WriteString(strconv.Itoa(v.epoch) + "!")
	}
	b.WriteString(v.base())
	if v.pre != nil {
		b.WriteString(v.pre.letter + strconv.Itoa(v.pre.n))
	}
	if v.post != nil {
		b.WriteString(".post" + strconv.Itoa(*v.post))
	}
	if v.dev != nil {
		b.WriteString(".dev" + strconv.Itoa(*v.dev))
	}
	if v.local != nil {
		parts := make([]string, len(v.local))
		for i, p := range v.local {
			if n, err := strconv.Atoi(p); err == nil {
				p = strconv.Itoa(n)
			}
			parts[i] = p
		}
		b.WriteString("+" + strings.Join(parts, "."))
	}
	return b.String()
}

// base is the release's numbers joined (without the epoch).
func (v version) base() string {
	parts := make([]string, len(v.release))
	for i, n := range v.release {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ".")
}

// public is the version without its local part; baseVersion keeps only the
// epoch and the release, as packaging's properties of those names.
func (v version) public() version { v.local = nil; return v }

func (v version) baseVersion() version { return version{epoch: v.epoch, release: v.release} }

func (v version) isPrerelease() bool { return v.pre != nil || v.dev != nil }

// compare orders a and b as packaging's _cmpkey does: -1, 0 or 1.
func compare(a, b version) int {
	if c := cmp.Compare(a.epoch, b.epoch); c != 0 {
		return c
	}
	if c := slices.Compare(trimZeros(a.release), trimZeros(b.release)); c != 0 {
		return c
	}
	if c := cmpPre(a, b); c != 0 {
		return c
	}
	if c := cmpOptional(a.post, b.post, -1); c != 0 {
		return c
	}
	if c := cmpOptional(a.dev, b.dev, 1); c != 0 {
		return c
	}
	return cmpLocal(a.local, b.local)
}

func trimZeros(r []int) []int {
	for len(r) > 0 && r[len(r)-1] == 0 {
		r = r[:len(r)-1]
	}
	return r
}

// preRank places a version without a pre-release: after every pre-release
// (a final release), or before them all when it is a bare dev release.
func preRank(v version) int {
	switch {
	case v.pre == nil && v.post == nil && v.dev != nil:
		return -1
	case v.pre == nil:
		return 1
	}
	return 0
}

func cmpPre(a, b version) int {
	if c := cmp.Compare(preRank(a), preRank(b)); c != 0 || preRank(a) != 0 {
		return c
	}
	if c := strings.Compare(a.pre.letter, b.pre.letter); c != 0 {
		return c
	}
	return cmp.Compare(a.pre.n, b.pre.n)
}

// cmpOptional compares two optional numbers, a missing one ranking as
// missing (-1: before any number, 1: after).
func cmpOptional(a, b *int, missing int) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return missing
	case b == nil:
		return -missing
	}
	return cmp.Compare(*a, *b)
}

// cmpLocal: no local part first; then part by part, a number after any
// word, numbers by value, words as strings; a shorter prefix first.
func cmpLocal(a, b []string) int {
	if a == nil || b == nil {
		return cmp.Compare(len(a), len(b))
	}
	for i := 0; i < len(a) && i < len(b); i++ {
		na, errA := strconv.Atoi(a[i])
		nb, errB := strconv.Atoi(b[i])
		var c int
		switch {
		case errA == nil && errB == nil:
			c = cmp.Compare(na, nb)
		case errA == nil:
			c = 1
		case errB == nil:
			c = -1
		default:
			c = strings.Compare(a[i], b[i])
		}
		if c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}
