package runner

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/ferry-sh/ferry/runner/template"
)

// warningColumns is the width Ansible's Display wraps a warning to off a
// terminal (max(79, columns-1)).
const warningColumns = 79

// warnings prints [WARNING] lines as Ansible's Display.warning does: on
// their own writer (stderr), wrapped to the terminal's width. A module's
// warnings show once per run: Ansible's callbacks print them from its one
// main process, whose Display skips a text it printed already (a worker's,
// such as pause's, repeat; the runner's own say so with warnOnce).
type warnings struct {
	mu   sync.Mutex
	seen map[string]bool
}

// format is the warning's text as printed, or "" when once is set and it
// was printed already.
func (ws *warnings) format(msg string, once bool, width int, paint func(...any) string) string {
	columns := max(warningColumns, width-1)
	text := strings.Join(template.TextWrap("[WARNING]: "+msg, columns), "\n") + "\n"
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if once && ws.seen[text] {
		return ""
	}
	if ws.seen == nil {
		ws.seen = map[string]bool{}
	}
	ws.seen[text] = true
	return paint(strings.TrimSuffix(text, "\n")) + "\n"
}

// write puts a warning on to (holding mu, the sink's), or into b with the
// rest of the output when to is nil.
func (ws *warnings) write(b *strings.Builder, to io.Writer, mu *sync.Mutex, msg string, once bool, width int, paint func(...any) string) {
	text := ws.format(msg, once, width, paint)
	if to == nil || text == "" {
		b.WriteString(text)
		return
	}
	mu.Lock()
	defer mu.Unlock()
	_, _ = io.WriteString(to, text)
}

// moduleWarnings takes a result's warnings out of what is shown, as the
// callbacks' _handle_warnings does: they are printed as warnings instead.
// A loop's are its failed items' (v2_runner_item_on_failed handles them,
// v2_runner_item_on_ok does not).
func moduleWarnings(e *Event) []string {
	out := takeWarnings(&e.Result)
	if len(e.Items) == 0 {
		return out
	}
	e.Items = append([]Event(nil), e.Items...) // the sinks share the event's
	for i := range e.Items {
		if e.Items[i].Status == StatusFailed {
			out = append(out, takeWarnings(&e.Items[i].Result)...)
		}
	}
	return out
}

func takeWarnings(result *map[string]any) []string {
	list, ok := (*result)["warnings"].([]any)
	if !ok || len(list) == 0 {
		return nil
	}
	out := make([]string, len(list))
	for i, w := range list {
		out[i] = fmt.Sprint(w)
	}
	*result = withoutKeys(*result, "warnings")
	return out
}

// taskWarnings are the warnings of one task on one host, each text shown
// once: Ansible's worker process that runs it skips a text its Display
// printed already (its conditionals' warnings, say, once for a loop).
type taskWarnings struct {
	mu   sync.Mutex
	seen map[string]bool
	warn func(string)
}

func (tw *taskWarnings) once(msg string) {
	tw.mu.Lock()
	seen := tw.seen[msg]
	if tw.seen == nil {
		tw.seen = map[string]bool{}
	}
	tw.seen[msg] = true
	tw.mu.Unlock()
	if !seen {
		tw.warn(msg)
	}
}
