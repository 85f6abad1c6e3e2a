package template

import (
	"fmt"
	"testing"
)

// The engine runs on the hot path (hosts x tasks): these measure a cached
// program run per call, the case that repeats thousands of times.

func benchScope() vars {
	return vars{
		"inventory_hostname": "web-01", "http_port": "8080", "env": "prod",
		"packages": []any{"nginx", "curl", "jq"},
		"result":   map[string]any{"rc": 0, "failed": false, "changed": true, "stdout": "ok"},
		"enabled":  true,
	}
}

// benchRender measures rendering src against benchScope, after checking
// that it renders at all.
func benchRender(b *testing.B, src string) {
	e := New(Options{})
	s := benchScope()
	if _, err := e.Render(src, s); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Render(src, s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderMixed(b *testing.B) {
	benchRender(b, "server {{ inventory_hostname }}:{{ http_port | int + 1 }} env={{ env | upper }} pkgs={{ packages | join(',') }}")
}

func BenchmarkEvalWhen(b *testing.B) {
	e := New(Options{})
	s := benchScope()
	const src = "enabled and result is succeeded and result.rc == 0 and env in ['prod', 'staging'] and foo is not defined"
	if ok, err := e.EvalBool(src, s); err != nil || !ok {
		b.Fatal(ok, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.EvalBool(src, s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFilterChain(b *testing.B) {
	e := New(Options{})
	s := benchScope()
	const src = "{{ packages | map('upper') | select('match', '^N') | list | default([]) | length }}"
	if v, err := e.Render(src, s); err != nil || fmt.Sprint(v) != "1" { // text or a number, as 2.14 types it
		b.Fatal(v, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Render(src, s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderTemplateFile(b *testing.B) {
	benchRender(b, "# {{ inventory_hostname }}\n{% for p in packages %}\npackage {{ loop.index }}: {{ p }}\n{% endfor %}\n{% if enabled %}\nenabled = yes\n{% endif %}\n")
}

func BenchmarkPlainString(b *testing.B) {
	e := New(Options{})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Render("/etc/nginx/nginx.conf", nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDictOrder makes, merges, walks and encodes dicts: each keeps its
// insertion order (package keyorder), the cost measured here.
func BenchmarkDictOrder(b *testing.B) {
	benchRender(b, "{{ {'zeta': 1, 'alpha': 2, 'mid': {'y': 1, 'b': 2}} | combine(result) | dict2items | items2dict | to_json }}")
}
