package runner

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"sort"
	"strings"
	"sync"
)

// Mask is the text that replaces a secret in every output.
const Mask = "********"

// Masker replaces secret values in text. It is shared by every output path
// (text, JSON, errors) and by the argv/env guard. It is filled before the
// first task (see collectSecrets) and grows during a run as modules learn
// secrets and templates compute values from them (see taint.go).
type Masker struct {
	mu       sync.RWMutex
	raw      []string              // the secrets as given, for taint tracking
	isRaw    map[string]bool       // raw as a set
	secrets  map[string]bool       // every form of every secret
	replacer *strings.Replacer     // nil when stale: built on the next use
	perturb  *strings.Replacer     // secret -> a same-shape stand-in, see taint.go
	memo     map[uintptr]holdsMemo // see holdsMap
}

// NewMasker returns a masker for the given secrets.
func NewMasker(secrets ...string) *Masker {
	m := &Masker{secrets: map[string]bool{}, isRaw: map[string]bool{}}
	m.Add(secrets...)
	return m
}

// minSecret is the shortest value masked: masking every "no" or "1" in the
// output would hide everything and protect nothing.
const minSecret = 3

// carriesNothing reports whether s is a boolean or null word. A value
// computed from a secret is often one (a comparison, a test), and masking
// every "true" would garble the output and make the argv/env guard refuse
// `command: "true"`, while it hides nothing: the inventory leaves these
// words out of its secrets for the same reason.
func carriesNothing(s string) bool {
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "null", "none":
		return true
	}
	return false
}

// Add registers more secrets.
func (m *Masker) Add(secrets ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	added := false
	for _, s := range secrets {
		if len(s) < minSecret || m.isRaw[s] || carriesNothing(s) {
			continue
		}
		m.raw, m.isRaw[s] = append(m.raw, s), true
		m.perturb, m.memo = nil, nil
		for _, form := range secretForms(s) {
			if len(form) >= minSecret && !m.secrets[form] {
				m.secrets[form] = true
				added = true
			}
		}
	}
	if added {
		// Built on the next use, not here: a loop whose items each read
		// a secret adds a value per item, and rebuilding for each made
		// the loop quadratic.
		m.replacer = nil
	}
}

// secretForms are the ways a secret can appear in output: as itself; as the
// JSON encoders write it, with and without HTML escaping of <>&
// (json.Marshal escapes them, the output encoders do not); with terminal
// control characters escaped as the text output writes them; base64
// encoded; and line by line for a multi-line secret (a private key).
func secretForms(s string) []string {
	forms := []string{s, escapeControls(s)}
	for _, html := range []bool{false, true} {
		j := jsonInner(s, html)
		forms = append(forms, j, escapeControls(j))
	}
	forms = append(forms, base64Forms(s)...)
	if strings.Contains(s, "\n") {
		for _, line := range strings.Split(s, "\n") {
			if line = strings.TrimSpace(line); len(line) >= 8 {
				forms = append(forms, line, escapeControls(line), jsonInner(line, false), jsonInner(line, true))
			}
		}
	}
	return forms
}

// jsonInner is s as a JSON string without its quotes.
func jsonInner(s string, escapeHTML bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(s); err != nil {
		return s
	}
	out := strings.TrimSuffix(b.String(), "\n")
	return out[1 : len(out)-1]
}

// minEncoded is the shortest encoded fragment masked: shorter base64 runs
// occur in ordinary text by chance.
const minEncoded = 6

// base64Forms are s in standard and URL-safe base64, whole, and the part of
// its encoding that does not depend on the bytes around it when s sits
// inside a longer encoded value (a file shown base64-encoded in a diff, a
// Kubernetes Secret's data), at each of the three byte alignments.
func base64Forms(s string) []string {
	var out []string
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		out = append(out, enc.EncodeToString([]byte(s)))
		for pad := 0; pad < 3; pad++ {
			// pad leading bytes shift s to alignment pad; the first
			// ceil(pad*8/6) characters mix in the unknown bytes before s,
			// and the last characters of an unfinished group the bytes after.
			enc := enc.WithPadding(base64.NoPadding).EncodeToString(append(make([]byte, pad), s...))
			start := (pad*8 + 5) / 6
			end := 8 * (pad + len(s)) / 6
			if end-start >= minEncoded {
				out = append(out, enc[start:end])
			}
		}
	}
	return out
}

// current returns the replacer, building it if secrets were added since;
// nil when there is no secret. Call without m.mu held.
func (m *Masker) current() *strings.Replacer {
	m.mu.RLock()
	r, none := m.replacer, len(m.secrets) == 0
	m.mu.RUnlock()
	if r != nil || none {
		return r
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.replacer == nil {
		m.rebuild()
	}
	return m.replacer
}

func (m *Masker) rebuild() {
	// Longest first, so that a secret containing another is masked whole.
	all := make([]string, 0, len(m.secrets))
	for s := range m.secrets {
		all = append(all, s)
	}
	sortLongestFirst(all)
	pairs := make([]string, 0, 2*len(all))
	for _, s := range all {
		pairs = append(pairs, s, Mask)
	}
	m.replacer = strings.NewReplacer(pairs...)
}

func sortLongestFirst(ss []string) {
	sort.Slice(ss, func(i, j int) bool { return len(ss[i]) > len(ss[j]) })
}

// String masks s.
func (m *Masker) String(s string) string {
	if m == nil {
		return s
	}
	r := m.current()
	if r == nil {
		return s
	}
	return r.Replace(s)
}

// Contains reports whether s holds a secret in any of its forms.
func (m *Masker) Contains(s string) bool {
	return m != nil && m.String(s) != s
}

// Empty reports whether no secret is known, so that callers can skip work.
func (m *Masker) Empty() bool {
	if m == nil {
		return true
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.raw) == 0
}

// Writer returns w with every write masked. Callers write whole lines or
// events, so a secret is never split across two writes.
func (m *Masker) Writer(w io.Writer) io.Writer {
	return &maskingWriter{m: m, w: w}
}

type maskingWriter struct {
	m *Masker
	w io.Writer
}

func (mw *maskingWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(mw.w, mw.m.String(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
