package runner

import (
	"encoding/json"
	"io"
	"sort"
	"strings"
	"sync"
)

// Mask is the text that replaces a secret in every output.
const Mask = "********"

// Masker replaces secret values in text. It is shared by every output path
// (text, JSON, errors) and grows during a run as modules learn secrets.
type Masker struct {
	mu       sync.RWMutex
	secrets  map[string]bool
	replacer *strings.Replacer
}

// NewMasker returns a masker for the given secrets.
func NewMasker(secrets ...string) *Masker {
	m := &Masker{secrets: map[string]bool{}}
	m.Add(secrets...)
	return m
}

// Add registers more secrets. Values shorter than 3 bytes are ignored: masking
// every "no" or "1" in the output would hide everything and protect nothing.
func (m *Masker) Add(secrets ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	added := false
	for _, s := range secrets {
		for _, form := range secretForms(s) {
			if len(form) >= 3 && !m.secrets[form] {
				m.secrets[form] = true
				added = true
			}
		}
	}
	if added {
		m.rebuild()
	}
}

// secretForms are the ways a secret can appear in output: as itself, JSON
// escaped, and line by line for a multi-line secret (a private key).
func secretForms(s string) []string {
	forms := []string{s}
	if b, err := json.Marshal(s); err == nil {
		forms = append(forms, string(b[1:len(b)-1]))
	}
	if strings.Contains(s, "\n") {
		for _, line := range strings.Split(s, "\n") {
			if len(strings.TrimSpace(line)) >= 8 {
				forms = append(forms, strings.TrimSpace(line))
			}
		}
	}
	return forms
}

func (m *Masker) rebuild() {
	// Longest first, so that a secret containing another is masked whole.
	all := make([]string, 0, len(m.secrets))
	for s := range m.secrets {
		all = append(all, s)
	}
	sort.Slice(all, func(i, j int) bool { return len(all[i]) > len(all[j]) })
	pairs := make([]string, 0, 2*len(all))
	for _, s := range all {
		pairs = append(pairs, s, Mask)
	}
	m.replacer = strings.NewReplacer(pairs...)
}

// String masks s.
func (m *Masker) String(s string) string {
	if m == nil {
		return s
	}
	m.mu.RLock()
	r := m.replacer
	m.mu.RUnlock()
	if r == nil {
		return s
	}
	return r.Replace(s)
}

// Contains reports whether s holds a secret.
func (m *Masker) Contains(s string) bool {
	return m != nil && m.String(s) != s
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
