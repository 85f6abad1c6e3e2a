package pip

import (
	"regexp"
	"slices"
	"strings"
)

// requirement is a PEP 508 requirement ("name[extra]>=1.0,<2; marker" or
// "name @ url") as pkg_resources.Requirement.parse reads it: pip.py builds
// the command line from its str() and checks what is installed against its
// specifiers.
type requirement struct {
	name   string   // as written
	extras []string // sorted, each once
	specs  []specifier
	url    string
	marker string // normalized as packaging prints it
}

var (
	namePattern  = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?`)
	extraPattern = regexp.MustCompile(`^\s*[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\s*$`)
)

// parseRequirement parses s as pkg_resources does; false where it raises
// (a path, a URL without a name, a VCS address): pip.py then passes the
// text to pip unchanged.
func parseRequirement(s string) (requirement, bool) {
	rest := strings.TrimLeft(s, " \t")
	var r requirement
	r.name = namePattern.FindString(rest)
	if r.name == "" {
		return r, false
	}
	rest = strings.TrimLeft(rest[len(r.name):], " \t")
	if strings.HasPrefix(rest, "[") {
		end := strings.Index(rest, "]")
		if end < 0 || !r.parseExtras(rest[1:end]) {
			return r, false
		}
		rest = strings.TrimLeft(rest[end+1:], " \t")
	}
	spec, marker, hasMarker := strings.Cut(rest, ";")
	if hasMarker {
		m, ok := normalizeMarker(marker)
		if !ok {
			return r, false
		}
		r.marker = m
	}
	spec = strings.TrimSpace(spec)
	if url, ok := strings.CutPrefix(spec, "@"); ok {
		r.url = strings.TrimSpace(url)
		return r, validURL(r.url)
	}
	if inner, ok := strings.CutPrefix(spec, "("); ok {
		if spec, ok = strings.CutSuffix(inner, ")"); !ok {
			return r, false
		}
	}
	return r, r.parseSpecs(spec)
}

func (r *requirement) parseExtras(list string) bool {
	if strings.TrimSpace(list) == "" {
		return true
	}
	for _, e := range strings.Split(list, ",") {
		if !extraPattern.MatchString(e) {
			return false
		}
		r.extras = append(r.extras, strings.TrimSpace(e))
	}
	slices.Sort(r.extras)
	r.extras = slices.Compact(r.extras)
	return true
}

func (r *requirement) parseSpecs(list string) bool {
	if strings.TrimSpace(list) == "" {
		return true
	}
	for _, clause := range strings.Split(list, ",") {
		m := specifierPattern.FindStringSubmatch(clause)
		if m == nil || m[2] == "" || strings.ContainsAny(m[2], ";)") {
			return false
		}
		r.specs = append(r.specs, specifier{op: m[1], version: m[2]})
	}
	return true
}

// validURL is packaging's check of a requirement's URL: a file: URL, or
// one with a scheme and a host.
func validURL(u string) bool {
	if u == "" || strings.ContainsAny(u, " \t") {
		return false
	}
	scheme, rest, ok := strings.Cut(u, "://")
	return ok && scheme != "" && (scheme == "file" || strings.TrimLeft(rest, "/") == rest && rest != "")
}

// String is str(Requirement): the name as written, the extras sorted, the
// specifier's clauses sorted and each once, then the URL and the marker.
func (r requirement) String() string {
	var b strings.Builder
	b.WriteString(r.name)
	if len(r.extras) > 0 {
		b.WriteString("[" + strings.Join(r.extras, ",") + "]")
	}
	var clauses []string
	for _, s := range r.specs {
		clauses = append(clauses, s.String())
	}
	slices.Sort(clauses)
	b.WriteString(strings.Join(slices.Compact(clauses), ","))
	if r.url != "" {
		b.WriteString("@ " + r.url)
		if r.marker != "" {
			b.WriteString(" ")
		}
	}
	if r.marker != "" {
		b.WriteString("; " + r.marker)
	}
	return b.String()
}

// markerToken is a marker's word, quoted string, operator or parenthesis.
var markerToken = regexp.MustCompile(`^\s*(?:'([^']*)'|"([^"]*)"|(===|==|!=|<=|>=|~=|<|>|\(|\))|(not\s+in\b|[A-Za-z_][A-Za-z0-9_.]*))`)

// normalizeMarker prints an environment marker as packaging's Marker does:
// values in double quotes, one space between words, none inside
// parentheses. It does not check the marker's grammar beyond its words.
func normalizeMarker(m string) (string, bool) {
	var words []string
	rest := m
	for strings.TrimSpace(rest) != "" {
		t := markerToken.FindStringSubmatch(rest)
		if t == nil {
			return "", false
		}
		switch {
		case t[1] != "" || t[2] != "" || strings.HasPrefix(strings.TrimSpace(t[0]), "'") || strings.HasPrefix(strings.TrimSpace(t[0]), `"`):
			words = append(words, `"`+t[1]+t[2]+`"`)
		case t[3] != "":
			words = append(words, t[3])
		default:
			words = append(words, strings.Join(strings.Fields(t[4]), " "))
		}
		rest = rest[len(t[0]):]
	}
	if len(words) == 0 {
		return "", false
	}
	s := strings.Join(words, " ")
	return strings.NewReplacer("( ", "(", " )", ")").Replace(s), true
}

// pipPackage is pip.py's Package: a requirement it could parse (a plain
// package, compared by its canonical name) or any other text.
type pipPackage struct {
	text string // str(Package): what goes on pip's command line
	name string // the canonical name of a plain package
	req  *requirement
}

// newPackage is Package(name, version): a version given apart is appended
// with == when it starts with a digit, else after a space (">=1.0").
func newPackage(name string, version *string) pipPackage {
	if version != nil && *version != "" {
		v := strings.TrimLeft(*version, " \t\n\r\v\f")
		sep := " "
		if v != "" && v[0] >= '0' && v[0] <= '9' {
			sep = "=="
		}
		name = name + sep + v
	}
	r, ok := parseRequirement(name)
	if !ok {
		return pipPackage{text: name, name: name}
	}
	return pipPackage{text: r.String(), name: canonicalName(r.name), req: &r}
}

func (p pipPackage) hasVersionSpecifier() bool { return p.req != nil && len(p.req.specs) > 0 }

// satisfiedBy is is_satisfied_by: every clause of a plain package's
// specifier contains the version (pre-releases included).
func (p pipPackage) satisfiedBy(v string) bool {
	if p.req == nil {
		return false
	}
	for _, s := range p.req.specs {
		if !s.contains(v) {
			return false
		}
	}
	return true
}

var separators = regexp.MustCompile(`[-_.]+`)

// canonicalName is PEP 503's normalized name.
func canonicalName(name string) string {
	return strings.ToLower(separators.ReplaceAllString(name, "-"))
}

// versionOps are the operators pip.py's op_dict knows: a name starting with
// one continues the package before it ("django>1.0", "<2.0").
var versionOps = []string{">=", "<=", ">", "<", "==", "!=", "~="}

// recoverNames is pip.py's _recover_package_name: the names split at every
// comma, then a version clause joined back to the package it follows
// (commas inside brackets, an extras list, kept too).
func recoverNames(names []string) []string {
	var parts []string
	for _, n := range names {
		parts = append(parts, strings.Split(n, ",")...)
	}
	var out, current []string
	inBrackets := false
	for _, n := range parts {
		if isPackageName(n) && !inBrackets {
			if len(current) > 0 {
				out = append(out, strings.Join(current, ","))
			}
			current = nil
		}
		if strings.Contains(n, "[") {
			inBrackets = true
		}
		if inBrackets && strings.Contains(n, "]") {
			inBrackets = false
		}
		current = append(current, n)
	}
	return append(out, strings.Join(current, ","))
}

func isPackageName(n string) bool {
	n = strings.TrimLeft(n, " \t\n\r\v\f")
	for _, op := range versionOps {
		if strings.HasPrefix(n, op) {
			return false
		}
	}
	return true
}
