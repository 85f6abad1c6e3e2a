package runner

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/ferry-sh/ferry/modules"
)

// escapeControls makes text from a host safe to write to a terminal: the C0
// control characters other than newline and tab (ESC starts the sequences
// that move the cursor, retitle the window or rewrite the screen), DEL, the
// C1 controls (U+0080-U+009F: U+009B is a CSI too) and bytes that are not
// UTF-8 are written as \xNN or \u00NN escapes, the way Go and Python quote
// them.
func escapeControls(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case isControl(r):
			if r < 0x80 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func isControl(r rune) bool {
	return (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f)
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\n' && c != '\t' || c >= 0x7f {
			return !plainUTF8(s[i:])
		}
	}
	return false
}

// plainUTF8 reports whether s is valid UTF-8 without control characters.
func plainUTF8(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || isControl(r) {
			return false
		}
	}
	return utf8.ValidString(s)
}

// escaped is e with every text a host or a playbook can fill escaped for a
// terminal (see escapeControls). The result's body is escaped when the text
// sink formats it.
func (e Event) escaped() Event {
	e.Play, e.Task, e.Host, e.Pos, e.Msg = escapeControls(e.Play), escapeControls(e.Task),
		escapeControls(e.Host), escapeControls(e.Pos), escapeControls(e.Msg)
	if s, ok := e.Item.(string); ok {
		e.Item = escapeControls(s)
	}
	if e.Plan != nil {
		plan := make([]string, len(e.Plan))
		for i, p := range e.Plan {
			plan[i] = escapeControls(p)
		}
		e.Plan = plan
	}
	if e.Diffs != nil {
		diffs := make([]modules.Diff, len(e.Diffs))
		for i, d := range e.Diffs {
			d.Path, d.Before, d.After = escapeControls(d.Path), escapeControls(d.Before), escapeControls(d.After)
			d.Prepared = escapeControls(d.Prepared)
			diffs[i] = d
		}
		e.Diffs = diffs
	}
	if e.Items != nil {
		items := make([]Event, len(e.Items))
		for i, it := range e.Items {
			items[i] = it.escaped()
		}
		e.Items = items
	}
	if e.Stats != nil {
		stats := make([]HostStats, len(e.Stats))
		for i, st := range e.Stats {
			st.Host = escapeControls(st.Host)
			stats[i] = st
		}
		e.Stats = stats
	}
	return e
}
