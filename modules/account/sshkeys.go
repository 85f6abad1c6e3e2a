package account

import (
	"regexp"
	"slices"
	"strings"
)

// The authorized_keys file as ansible.posix 1.5.4's authorized_key reads and
// writes it (parsekey, parseoptions, parsekeys, serialize): each line is a
// key (options, type, blob, comment) or a line kept as it is, and the file
// is rewritten from them in rank order.

// keyTypes are the key types authorized_key recognizes (VALID_SSH2_KEY_TYPES).
var keyTypes = map[string]bool{
	"sk-ecdsa-sha2-nistp256@openssh.com": true, "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com": true,
	"webauthn-sk-ecdsa-sha2-nistp256@openssh.com": true, "ecdsa-sha2-nistp256": true,
	"ecdsa-sha2-nistp256-cert-v01@openssh.com": true, "ecdsa-sha2-nistp384": true,
	"ecdsa-sha2-nistp384-cert-v01@openssh.com": true, "ecdsa-sha2-nistp521": true,
	"ecdsa-sha2-nistp521-cert-v01@openssh.com": true, "sk-ssh-ed25519@openssh.com": true,
	"sk-ssh-ed25519-cert-v01@openssh.com": true, "ssh-ed25519": true, "ssh-ed25519-cert-v01@openssh.com": true,
	"ssh-dss": true, "ssh-rsa": true, "ssh-xmss@openssh.com": true, "ssh-xmss-cert-v01@openssh.com": true,
	"rsa-sha2-256": true, "rsa-sha2-512": true, "ssh-rsa-cert-v01@openssh.com": true,
	"rsa-sha2-256-cert-v01@openssh.com": true, "rsa-sha2-512-cert-v01@openssh.com": true,
	"ssh-dss-cert-v01@openssh.com": true,
}

// skipped is the type of a line that is kept as written (a comment, a line
// that is no key).
const skipped = "skipped"

// sshKey is one line of the file. For a kept line, blob is the whole line.
type sshKey struct {
	blob, typ string
	options   keyOptions
	comment   string
	rank      int // where the line goes when the file is written
}

// keyOption is one option of a key line: a name, and a value unless it is
// a flag (no-pty).
type keyOption struct {
	name  string
	value *string
}

type keyOptions []keyOption

// optionPart is parseoptions' pattern: a run of characters that are not a
// comma outside quotes.
var optionPart = regexp.MustCompile(`(?:[^,"']|"[^"]*"|'[^']*')+`)

// parseOptions reads `no-pty,from="a,b"`: the pieces re.split leaves between
// its first and last element, the separators among them ("," skipped).
func parseOptions(s string) keyOptions {
	var opts keyOptions
	matches := optionPart.FindAllStringIndex(s, -1)
	var parts []string
	for i, m := range matches {
		if i > 0 {
			parts = append(parts, s[matches[i-1][1]:m[0]])
		}
		parts = append(parts, s[m[0]:m[1]])
	}
	for _, p := range parts {
		if name, value, ok := strings.Cut(p, "="); ok {
			opts = append(opts, keyOption{name, &value})
		} else if p != "," {
			opts = append(opts, keyOption{name: p})
		}
	}
	return opts
}

// same is Python's equality of two keydicts: every name has the same values
// in the same order; the order between names does not count.
func (o keyOptions) same(p keyOptions) bool {
	group := func(opts keyOptions) map[string][]string {
		m := map[string][]string{}
		for _, kv := range opts {
			v := "\x00flag"
			if kv.value != nil {
				v = *kv.value
			}
			m[kv.name] = append(m[kv.name], v)
		}
		return m
	}
	a, b := group(o), group(p)
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

func (o keyOptions) String() string {
	var parts []string
	for _, kv := range o {
		if kv.value == nil {
			parts = append(parts, kv.name)
		} else {
			parts = append(parts, kv.name+"="+*kv.value)
		}
	}
	return strings.Join(parts, ",")
}

// splitWords is shlex with no quotes and whitespace_split: words between
// spaces, tabs and line ends.
func splitWords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\r' || r == '\n' })
}

// parseKey reads one line; ok is false when it holds no key type, or no
// key after its type (where Ansible's crashes).
func parseKey(raw string, rank int) (k sshKey, ok bool) {
	raw = strings.ReplaceAll(raw, `\#`, "#")
	words := splitWords(raw)
	if len(words) > 0 && words[0] == "#" {
		return sshKey{blob: raw, typ: skipped, rank: rank}, true
	}
	at := slices.IndexFunc(words, func(w string) bool { return keyTypes[w] })
	if at < 0 || at+1 >= len(words) {
		return sshKey{}, false
	}
	return sshKey{typ: words[at], options: parseOptions(strings.Join(words[:at], " ")), blob: words[at+1],
		comment: strings.Join(words[at+2:], " "), rank: rank}, true
}

// same compares all but the rank.
func (k sshKey) same(e sshKey) bool {
	return k.blob == e.blob && k.typ == e.typ && k.comment == e.comment && k.options.same(e.options)
}

// line is the key as serialize writes it (with a space before an empty
// comment, as Ansible's).
func (k sshKey) line() string {
	if k.typ == skipped {
		return k.blob
	}
	opts := k.options.String()
	if opts != "" {
		opts += " "
	}
	return opts + k.typ + " " + k.blob + " " + k.comment + "\n"
}

// keySet is parsekeys' dict: keys by blob, in insertion order (a key set
// again keeps its place; one deleted and set again goes last).
type keySet struct {
	order []string
	keys  map[string]sshKey
}

func parseKeys(content string) *keySet {
	s := &keySet{keys: map[string]sshKey{}}
	for i, l := range strings.SplitAfter(content, "\n") {
		if l == "" {
			continue
		}
		k, ok := parseKey(l, i)
		if !ok {
			k = sshKey{blob: l, typ: skipped, rank: i}
		}
		s.set(k)
	}
	return s
}

func (s *keySet) get(blob string) (sshKey, bool) {
	k, ok := s.keys[blob]
	return k, ok
}

func (s *keySet) set(k sshKey) {
	if _, ok := s.keys[k.blob]; !ok {
		s.order = append(s.order, k.blob)
	}
	s.keys[k.blob] = k
}

func (s *keySet) remove(blob string) {
	delete(s.keys, blob)
	s.order = slices.DeleteFunc(s.order, func(b string) bool { return b == blob })
}

// content is the file serialize writes: the lines by rank, ties in
// insertion order (Python's sort is stable).
func (s *keySet) content() string {
	keys := make([]sshKey, 0, len(s.order))
	for _, b := range s.order {
		keys = append(keys, s.keys[b])
	}
	slices.SortStableFunc(keys, func(a, b sshKey) int { return a.rank - b.rank })
	var out strings.Builder
	for _, k := range keys {
		out.WriteString(k.line())
	}
	return out.String()
}
