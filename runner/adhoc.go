package runner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// AdHocPlaybook is the one-task playbook that `ferry adhoc PATTERN -m
// MODULE -a ARGS` runs, as ansible's ad-hoc command builds one: no fact
// gathering, args as Ansible's `k=v` string or free-form text. Going
// through the parser gives ad-hoc commands every static check a playbook
// has.
func AdHocPlaybook(pattern, module, args string) ([]byte, error) {
	var taskArgs any = map[string]any{}
	if strings.TrimSpace(args) != "" {
		taskArgs = args
	}
	play := []map[string]any{{
		"name": "Ansible Ad-Hoc", "hosts": pattern, "gather_facts": false,
		"tasks": []map[string]any{{module: taskArgs}},
	}}
	return yaml.Marshal(play)
}

// noJSONModules print their output as text in ad-hoc results, as in
// Ansible's minimal callback (C.MODULE_NO_JSON).
var noJSONModules = map[string]bool{"command": true, "shell": true, "raw": true, "script": true}

// AdHocSink prints one result per host as `ansible` does (its minimal
// callback): "host | CHANGED | rc=0 >>" and the output for commands,
// "host | SUCCESS => {json}" for other modules.
type AdHocSink struct {
	mu     sync.Mutex
	w      io.Writer
	colors palette
	// Warnings receives the [WARNING] lines when set (stderr, as
	// ansible's); nil prints them with the results.
	Warnings io.Writer
	warned   warnings
}

// NewAdHocSink prints to w (mask w first: see Masker.Writer).
func NewAdHocSink(w io.Writer, useColor bool) *AdHocSink {
	return &AdHocSink{w: w, colors: newPalette(useColor)}
}

// Event implements Sink.
func (s *AdHocSink) Event(e Event) {
	e, ok := e.redacted()
	if !ok {
		return
	}
	e = e.escaped()
	var line strings.Builder
	switch e.Type {
	case EventHostResult:
		for _, w := range moduleWarnings(&e) {
			s.warned.write(&line, s.Warnings, &s.mu, w, true, 0, s.colors.warn)
		}
		line.WriteString(s.result(e))
	case EventWarning:
		s.warned.write(&line, s.Warnings, &s.mu, e.Msg, false, 0, s.colors.warn)
	default:
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _ = io.WriteString(s.w, line.String())
}

func (s *AdHocSink) result(e Event) string {
	data := debugView(e.Module, e.Result)
	if len(data) == 0 && e.Msg != "" {
		data = map[string]any{"msg": e.Msg}
	}
	state, paint := "SUCCESS", s.colors.ok
	switch e.Status {
	case StatusChanged:
		state, paint = "CHANGED", s.colors.changed
	case StatusSkipped:
		return s.colors.skipped(e.Host+" | SKIPPED") + "\n"
	case StatusUnreachable:
		return s.colors.failed(fmt.Sprintf("%s | UNREACHABLE! => %s", e.Host, indentJSON(data))) + "\n"
	case StatusFailed:
		state, paint = "FAILED", s.colors.failed
	}
	if _, hasRC := data["rc"]; noJSONModules[e.Module] && hasRC && !e.Hidden {
		text := escapeControls(fmt.Sprint(data["stdout"]) + fmt.Sprint(data["stderr"]))
		if m, ok := data["msg"].(string); ok && e.Status == StatusFailed {
			text += m
		}
		return paint(fmt.Sprintf("%s | %s | rc=%v >>\n%s", e.Host, state, data["rc"], text)) + "\n"
	}
	if state == "FAILED" {
		state = "FAILED!"
	}
	return paint(fmt.Sprintf("%s | %s => %s", e.Host, state, indentJSON(data))) + "\n"
}

// indentJSON is Ansible's result dump: sorted keys, four spaces.
func indentJSON(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "    ")
	if err := enc.Encode(v); err != nil {
		return escapeControls(fmt.Sprint(v))
	}
	return escapeControls(strings.TrimRight(buf.String(), "\n"))
}
