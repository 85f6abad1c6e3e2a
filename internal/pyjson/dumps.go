package pyjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf16"

	"github.com/ferry-sh/ferry/internal/keyorder"
)

// Dumps writes v on one line as Python's json.dumps does with its default
// separators (", " and ": "), keys sorted (Go maps keep no order). With
// ensureASCII, every non-ASCII character is a \uXXXX escape, as json.dumps
// writes by default; without it the text stays as it is (Ansible's output).
func Dumps(v any, ensureASCII bool) string {
	var b strings.Builder
	write(&b, v, ensureASCII, sortedKeys)
	return b.String()
}

// DumpsInOrder is json.dumps without sort_keys: a dict's keys in their
// insertion order (package keyorder), as a module sends a JSON body.
func DumpsInOrder(v any, ensureASCII bool) string {
	var b strings.Builder
	write(&b, v, ensureASCII, keyorder.Keys)
	return b.String()
}

func sortedKeys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

func write(b *strings.Builder, v any, ascii bool, keys func(map[string]any) []string) {
	switch x := v.(type) {
	case map[string]any:
		b.WriteString("{")
		for i, k := range keys(x) {
			if i > 0 {
				b.WriteString(", ")
			}
			write(b, k, ascii, keys)
			b.WriteString(": ")
			write(b, x[k], ascii, keys)
		}
		b.WriteString("}")
	case []any:
		b.WriteString("[")
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			write(b, e, ascii, keys)
		}
		b.WriteString("]")
	default:
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(x); err != nil {
			fmt.Fprintf(b, "%q", fmt.Sprint(x))
			return
		}
		out := strings.TrimRight(buf.String(), "\n")
		if ascii {
			out = escapeNonASCII(out)
		}
		b.WriteString(out)
	}
}

// escapeNonASCII writes each non-ASCII rune of encoded JSON as \uXXXX (a
// surrogate pair beyond the BMP), as Python's ensure_ascii.
func escapeNonASCII(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 {
			b.WriteRune(r)
			continue
		}
		for _, u := range utf16.Encode([]rune{r}) {
			fmt.Fprintf(&b, `\u%04x`, u)
		}
	}
	return b.String()
}
