package template

import "strings"

// Ansible keeps a string filter's output (to_json, to_yaml, string...) as
// NativeJinjaText, which stays text when it is templated again: a variable
// set to `{{ d | to_json }}` shows as the JSON text under {{ x }} or debug
// var=x, where a plain string holding the same JSON reads back as a dict.
// A Go string cannot carry that mark, so the engine remembers the texts of
// that kind it made that look like a literal (the only ones that would be
// read back), up to maxNativeTexts of them.

const maxNativeTexts = 10_000

// rememberNative notes v, a string filter's output, as native text.
func (e *Engine) rememberNative(v any) {
	s, ok := v.(string)
	if !ok || !looksLiteral(s) || e.nativeCount.Load() >= maxNativeTexts {
		return
	}
	if _, had := e.nativeTexts.LoadOrStore(s, true); !had {
		e.nativeCount.Add(1)
	}
}

// isNative reports whether v is a text a string filter made.
func (e *Engine) isNative(v any) bool {
	s, ok := v.(string)
	if !ok || !looksLiteral(s) {
		return false
	}
	_, found := e.nativeTexts.Load(s)
	return found
}

// looksLiteral is convertText's test: what it would try to read back.
func looksLiteral(s string) bool {
	return strings.HasPrefix(s, "[") || strings.HasPrefix(s, "{") || s == "True" || s == "False"
}

// convert is t.convert, keeping native text as text.
func (e *Engine) convert(t *compiledTemplate, v any) any {
	if t.single == nil {
		return t.convert(v)
	}
	sh := t.shape
	if sh.nativeText {
		e.rememberNative(v)
	} else if sh.bareVar && sh.lead == "" && sh.trail == "" && e.isNative(v) {
		return v
	}
	return t.convert(v)
}
