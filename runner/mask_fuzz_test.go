package runner

import (
	"bytes"
	"encoding/base64"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/runner/template"
)

// maskFuzzExprs transform the secret pw the ways a playbook can: encodings,
// hashes, string methods and operators, containers.
var maskFuzzExprs = []string{
	"pw", "pw | b64encode", "pw | reverse | join('')", "pw | to_json", "pw | to_nice_json", "{'k': pw} | to_yaml",
	"pw | upper", "pw | lower", "pw | capitalize", "pw | title", "pw | hash('sha256')", "pw | md5", "pw | checksum",
	"pw | quote", "pw | regex_escape", "pw | escape", "pw ~ '!'", "'%s.' % pw", "'<%s>' | format(pw)",
	"[pw] | to_json | b64encode", "pw | list | join(',')", "pw | replace('a', 'b')", "pw[1:]", "pw[::-1]",
	"pw | indent(2)", "pw | trim", "{'a': pw}", "[pw, 'x']", "pw.upper()", "pw.split('e') | join('E')",
	"pw | b64encode | b64encode", "(pw | to_json | b64encode) ~ (pw | md5)",
}

// FuzzMasking sends a random secret through every filter of maskFuzzExprs
// and every output path (text at verbosities 0 and 4 with --diff, JSON;
// results, messages, plan lines, diffs, loop labels, streamed lines,
// warnings) and asserts that no byte sequence of the secret, of its JSON or
// terminal escapes, of its base64, or of a value computed from it appears.
func FuzzMasking(f *testing.F) {
	for _, s := range []string{"s3cr3t-Pa55word", "a<b>&c\"d\\e\x01f'g\x1bh", "pässwörd-ünïcode", "line1-abc\nline2-def\r\n",
		"\x7f\u009bcontrol-9", "Zz9-rotate-edge", "12345678", "%s{}[]()-secret",
		";&]>+\\(0{", "€{=é+ (B\u0085", "y}\x01,:\x7f,&\x01>\x7f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, secret string) {
		if !fuzzableSecret(secret) {
			t.Skip()
		}
		baseline := maskingBaseline(t)
		out, derived := maskingRun(t, secret, true)
		leaks := append(secretLeaks(secret), derived...)
		for _, leak := range leaks {
			if len(leak) >= 8 && strings.Contains(out, leak) && !strings.Contains(baseline, leak) {
				t.Fatalf("output shows %q (secret %q):\n%s", leak, secret, out)
			}
		}
	})
}

var (
	baselineOnce sync.Once
	baselineOut  string
)

// maskingBaseline is the output for a value that is not secret: a leak
// candidate found there is ferry's own text, not the secret's.
func maskingBaseline(t *testing.T) string {
	baselineOnce.Do(func() { baselineOut, _ = maskingRun(t, "neutral-value-0", false) })
	return baselineOut
}

// fuzzableSecret leaves out what masking does not promise to hide: values
// shorter than 8 bytes (they occur in ordinary output by chance), template
// syntax (a variable holding one is rendered, as in Ansible), the mask's
// own character, invalid UTF-8 (the JSON encoders replace it), and values
// without a letter or digit (taint needs one to tell what depends on them).
func fuzzableSecret(s string) bool {
	if len(s) < 8 || !utf8.ValidString(s) || strings.ContainsAny(s, "*") ||
		strings.Contains(s, "{{") || strings.Contains(s, "{%") || strings.Contains(s, "{#") {
		return false
	}
	return standIn(s) != s
}

// maskingRun renders every expression for a host whose pw is secret and
// sends the results through every sink; it returns all output and the
// string values computed from the secret.
func maskingRun(t *testing.T, secret string, register bool) (string, []string) {
	m := NewMasker()
	if register {
		m.Add(secret)
	}
	sc := &scope{engine: template.New(template.Options{}), layers: []map[string]any{{"pw": secret}}, masker: m}
	var buf bytes.Buffer
	w := m.Writer(&buf)
	sinks := []Sink{NewJSONSink(w), NewTextSink(w, 0, true, false), NewTextSink(w, 4, true, true)}
	var derived []string
	for _, expr := range maskFuzzExprs {
		v, err := sc.render("{{ " + expr + " }}")
		if err != nil {
			v = err.Error()
		}
		derived = append(derived, leafStrings(v)...)
		s := pyStrOf(v)
		for _, sink := range sinks {
			for _, e := range maskingEvents(v, s) {
				sink.Event(e)
			}
		}
	}
	return buf.String(), derived
}

func pyStrOf(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	out := leafStrings(v)
	return strings.Join(out, " ")
}

// maskingEvents carry value v (and its text s) in every field an output
// path writes.
func maskingEvents(v any, s string) []Event {
	result := map[string]any{"msg": s, "value": v, "changed": true}
	return []Event{
		{Type: EventTaskStart, Task: "t"},
		{Type: EventOutput, Host: "h", Msg: s},
		{Type: EventHostResult, Host: "h", Module: "debug", Status: StatusOK, Show: true, Result: result, Msg: s},
		{Type: EventHostResult, Host: "h", Module: "copy", Status: StatusChanged, Result: result, Check: true,
			Plan: []string{"run: echo " + s}, Diffs: []modules.Diff{{Path: "/f", Before: s + "\n", After: "x\n"}, {Prepared: "plan " + s}}},
		{Type: EventHostResult, Host: "h", Module: "debug", Status: StatusFailed, Result: result, Msg: s, Item: v,
			Items: []Event{{Host: "h", Status: StatusFailed, Item: v, Result: result}}},
		{Type: EventWarning, Msg: s},
	}
}

// The seeds run as a plain test too; this one checks the harness can fail:
// without masking, the secret shows.
func TestMaskingFuzzHarnessSeesLeaks(t *testing.T) {
	out, _ := maskingRun(t, "s3cr3t-Pa55word", false)
	if !strings.Contains(out, "s3cr3t-Pa55word") || !strings.Contains(out, base64.StdEncoding.EncodeToString([]byte("s3cr3t-Pa55word"))) {
		t.Fatal("the harness does not carry the secret to the output")
	}
}
