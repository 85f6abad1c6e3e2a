package runner

import (
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/ferry-sh/ferry/runner/template"
)

// Taint tracking: a value computed from a secret is a secret. The template
// engine's filters and operators (b64encode, reverse, hash, to_json, string
// methods, concatenation, format...) are ordinary functions that know
// nothing about secrets, so secrecy is tracked around each evaluation
// instead, by what the result depends on:
//
//  1. The evaluation runs once, recording whether any variable it read holds
//     a secret. Most evaluations read none and stop here.
//  2. If one did, it runs again on a twin scope in which every secret is
//     replaced by a stand-in of the same shape (letters and digits rotated,
//     everything else kept, so a number stays a number and JSON stays JSON).
//  3. Whatever differs between the two results depends on a secret and is
//     registered with the masker, which hides it in all output and makes the
//     argv/env guard refuse it. What does not differ (another host's address
//     read through hostvars next to its password, the length of a password)
//     is not secret.
//
// Differences are registered as tight as can be: per line, without the
// common prefix and suffix, widened to the whole token (a base64 or hex run)
// so that no fragment of an encoded secret stays visible. When the twin
// cannot be evaluated (the stand-in breaks a filter), every string of the
// result is registered.

// taint evaluates with eval and registers what its result derives from
// secrets. An evaluation
// that ran a lookup with effects (pipe runs a command, password may write
// a file: declared on the plugins) is never run twice: with a stand-in for
// a secret it could act on a wrong value. Its result is registered whole
// instead; the twin refuses such a lookup too, in case the stand-in takes
// it down another branch.
func (s *scope) taint(eval func(template.Scope) (any, error)) (any, error) {
	m := s.masker
	if m.Empty() {
		return eval(s)
	}
	rec := &readScope{scope: s}
	out, err := eval(rec)
	if !rec.readSecret {
		return out, err
	}
	if rec.ranEffect {
		m.Add(leafStrings(out)...)
		return out, err
	}
	twin, twinErr := eval(perturbedScope{s})
	switch {
	case err != nil && twinErr != nil:
		m.addDifferences(err.Error(), twinErr.Error())
	case err != nil:
		m.Add(err.Error())
	case twinErr != nil:
		m.Add(leafStrings(out)...)
	default:
		m.addDifferences(out, twin)
	}
	return out, err
}

// readScope notes whether an evaluation read a variable holding a secret.
type readScope struct {
	*scope
	readSecret bool
	ranEffect  bool // a lookup with effects ran
}

func (r *readScope) BeforeEffect(string) error {
	r.ranEffect = true
	return nil
}

func (r *readScope) Lookup(name string) (any, bool, error) {
	v, ok, err := r.scope.Lookup(name)
	if ok && !r.readSecret && r.masker.holds(v) {
		r.readSecret = true
	}
	return v, ok, err
}

// perturbedScope is the twin scope: every secret in a variable's value is
// replaced by its stand-in.
type perturbedScope struct{ *scope }

func (perturbedScope) BeforeEffect(plugin string) error {
	return fmt.Errorf("lookup %s is not run again with a stand-in for a secret", plugin)
}

func (p perturbedScope) Lookup(name string) (any, bool, error) {
	v, ok, err := p.scope.Lookup(name)
	if !ok {
		return v, ok, err
	}
	return p.masker.perturbValue(v), true, err
}

// holds reports whether v, or any string inside it, contains a secret as
// given (raw: variables hold values, not their encodings).
func (m *Masker) holds(v any) bool {
	m.mu.RLock()
	raw := m.raw
	m.mu.RUnlock()
	return m.holdsAny(v, raw)
}

func (m *Masker) holdsAny(v any, raw []string) bool {
	switch x := v.(type) {
	case string:
		return rawIn(x, raw)
	case map[string]any:
		return m.holdsMap(x, raw)
	case []any:
		for _, e := range x {
			if m.holdsAny(e, raw) {
				return true
			}
		}
	case nil, bool, int, int64, float64:
	default:
		return rawIn(fmt.Sprint(x), raw)
	}
	return false
}

// memoMinLen is the size from which a map's answer is remembered: hostvars
// (every host's variables) is read by many evaluations, and walking it for
// each made a hostvars lookup cost O(hosts).
const memoMinLen = 64

// holdsMemo remembers the answer for one map. It keeps the map itself, so
// its address cannot be reused by another map while remembered, and its
// length, so a map that grew is walked again. Maps this large are hostvars
// and inventory-sized layers, which are not changed once published (facts
// are copied on write); a module's result, which the runner completes
// after judging it, is far smaller.
type holdsMemo struct {
	m     map[string]any
	len   int
	holds bool
}

func (m *Masker) holdsMap(x map[string]any, raw []string) bool {
	var key uintptr
	if len(x) >= memoMinLen {
		key = reflect.ValueOf(x).Pointer()
		m.mu.RLock()
		memo, ok := m.memo[key]
		m.mu.RUnlock()
		if ok && reflect.ValueOf(memo.m).Pointer() == key && memo.len == len(x) {
			return memo.holds
		}
	}
	holds := false
	for k, e := range x {
		if rawIn(k, raw) || m.holdsAny(e, raw) {
			holds = true
			break
		}
	}
	if key != 0 {
		m.mu.Lock()
		if len(m.raw) == len(raw) && len(m.memo) < 4096 { // no secret added meanwhile
			if m.memo == nil {
				m.memo = map[uintptr]holdsMemo{}
			}
			m.memo[key] = holdsMemo{m: x, len: len(x), holds: holds}
		}
		m.mu.Unlock()
	}
	return holds
}

func rawIn(s string, raw []string) bool {
	if len(s) < minSecret {
		return false
	}
	for _, secret := range raw {
		if strings.Contains(s, secret) {
			return true
		}
	}
	return false
}

// perturbValue copies v with every secret replaced by its stand-in; parts
// without secrets are shared, not copied.
func (m *Masker) perturbValue(v any) any {
	if !m.holds(v) {
		return v
	}
	switch x := v.(type) {
	case string:
		return m.perturber().Replace(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[m.perturber().Replace(k)] = m.perturbValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = m.perturbValue(e)
		}
		return out
	}
	return m.perturber().Replace(fmt.Sprint(v))
}

// perturber replaces each raw secret by its stand-in, longest first.
func (m *Masker) perturber() *strings.Replacer {
	m.mu.RLock()
	p := m.perturb
	m.mu.RUnlock()
	if p != nil {
		return p
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.perturb == nil {
		raw := append([]string(nil), m.raw...)
		sortLongestFirst(raw)
		pairs := make([]string, 0, 2*len(raw))
		for _, s := range raw {
			pairs = append(pairs, s, standIn(s))
		}
		m.perturb = strings.NewReplacer(pairs...)
	}
	return m.perturb
}

// standIn is s with every character but whitespace replaced by the next of
// its class (letters, digits, ASCII punctuation, control characters, other
// runes), wrapping around: the same length and shape (a number stays a
// number, lines stay lines), a different value at every position, so that
// a reordering (reverse) differs everywhere too.
func standIn(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(nextInClass(r))
	}
	return b.String()
}

const asciiPunct = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

func nextInClass(r rune) rune {
	switch {
	case r >= 'a' && r <= 'z':
		return 'a' + (r-'a'+1)%26
	case r >= 'A' && r <= 'Z':
		return 'A' + (r-'A'+1)%26
	case r >= '0' && r <= '9':
		return '0' + (r-'0'+1)%10
	case r == ' ' || r == '\t' || r == '\n' || r == '\r':
		return r
	case r < 0x20:
		return 1 + r%0x1f // 0x01..0x1f, skipping NUL
	case r < 0x7f:
		i := strings.IndexRune(asciiPunct, r)
		return rune(asciiPunct[(i+1)%len(asciiPunct)])
	case r == 0x7f:
		return 0x01
	case r == utf8.MaxRune || r == 0xd7ff || r == 0xffff:
		return r - 1
	}
	return r + 1
}

// addDifferences registers the parts of a (the real result) that differ
// from b (the twin's).
func (m *Masker) addDifferences(a, b any) {
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			m.Add(differingParts(x, y)...)
			return
		}
	case map[string]any:
		if y, ok := b.(map[string]any); ok && len(x) == len(y) {
			for k, e := range x {
				if f, ok := y[k]; ok {
					m.addDifferences(e, f)
				} else {
					m.Add(k)
					m.Add(leafStrings(e)...)
				}
			}
			return
		}
	case []any:
		if y, ok := b.([]any); ok && len(x) == len(y) {
			for i := range x {
				m.addDifferences(x[i], y[i])
			}
			return
		}
	}
	if !reflect.DeepEqual(a, b) {
		m.Add(leafStrings(a)...)
	}
}

// differingParts are the tokens of a that differ from b, line by line when
// both have the same number of lines.
func differingParts(a, b string) []string {
	if a == b {
		return nil
	}
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	if len(al) != len(bl) {
		return []string{differingToken(a, b)}
	}
	var out []string
	for i := range al {
		if al[i] != bl[i] {
			out = append(out, differingToken(al[i], bl[i]))
		}
	}
	return out
}

// differingToken is a without the prefix and suffix it shares with b,
// widened to whole characters and tokens.
func differingToken(a, b string) string {
	start := 0
	for start < len(a) && start < len(b) && a[start] == b[start] {
		start++
	}
	end := len(a)
	for j := len(b); end > start && j > 0 && a[end-1] == b[j-1]; j-- {
		end--
	}
	for start > 0 && (isTokenByte(a[start-1]) || start < len(a) && !utf8.RuneStart(a[start])) {
		start--
	}
	for end < len(a) && (isTokenByte(a[end]) || a[end] == '=' || !utf8.RuneStart(a[end])) {
		end++
	}
	return a[start:end]
}

// isTokenByte: the bytes of words, numbers, hex and base64 (std and URL).
func isTokenByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '-' || c == '_'
}
