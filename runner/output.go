package runner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/ferry-sh/ferry/runner/template"
	"io"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/aymanbagabas/go-udiff"
	"github.com/fatih/color"
	"golang.org/x/text/width"

	"github.com/ferry-sh/ferry/internal/pyjson"
	"github.com/ferry-sh/ferry/modules"
)

// JSONSink writes one JSON object per event, for CI.
type JSONSink struct {
	mu sync.Mutex
	w  io.Writer
}

// NewJSONSink writes events to w (mask w first: see Masker.Writer).
func NewJSONSink(w io.Writer) *JSONSink { return &JSONSink{w: w} }

// Event implements Sink.
func (s *JSONSink) Event(e Event) {
	e, ok := e.redacted()
	if !ok {
		return
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(e)
	if err != nil {
		buf.Reset()
		err = enc.Encode(finiteEvent(e))
	}
	if err != nil {
		fmt.Fprintf(&buf, `{"event":"warning","msg":%q}`+"\n", "cannot encode event: "+err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _ = s.w.Write(buf.Bytes())
}

// TextSink prints what an Ansible user expects to read.
type TextSink struct {
	mu        sync.Mutex
	w         io.Writer
	verbosity int
	diff      bool
	colors    palette
	// Progress draws a live transfer line; set it only on a terminal.
	Progress bool
	// Width is the terminal's width in columns, for the header lines; 0
	// off a terminal (Ansible's 80).
	Width int
	// ShowCustomStats prints set_stats' stats after the recap (Ansible's
	// show_custom_stats).
	ShowCustomStats bool
	// Warnings receives the [WARNING] lines when set (stderr, where
	// Ansible's Display.warning writes them); nil prints them with the rest.
	Warnings  io.Writer
	warned    warnings
	transfers map[string]time.Time // host -> start of its current transfer
}

// NewTextSink prints events to w; colour only when useColor is set.
func NewTextSink(w io.Writer, verbosity int, diff, useColor bool) *TextSink {
	return &TextSink{w: w, verbosity: verbosity, diff: diff, colors: newPalette(useColor), transfers: map[string]time.Time{}}
}

type palette struct{ ok, changed, skipped, failed, warn, plain func(a ...any) string }

func newPalette(on bool) palette {
	mk := func(attrs ...color.Attribute) func(a ...any) string {
		c := color.New(attrs...)
		if on {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c.SprintFunc()
	}
	return palette{
		ok: mk(color.FgGreen), changed: mk(color.FgYellow), skipped: mk(color.FgCyan),
		failed: mk(color.FgRed), warn: mk(color.FgMagenta), plain: fmt.Sprint,
	}
}

// Event implements Sink.
func (s *TextSink) Event(e Event) {
	e, ok := e.redacted()
	if !ok {
		return
	}
	e = e.escaped()
	var b strings.Builder
	switch e.Type {
	case EventPlayStart:
		bannerWidth(&b, fmt.Sprintf("PLAY [%s]", e.Play), s.Width)
	case EventTaskStart:
		bannerWidth(&b, fmt.Sprintf("TASK [%s]", e.Task), s.Width)
		if s.verbosity >= 2 && e.Pos != "" {
			fmt.Fprintf(&b, "task path: %s\n", e.Pos)
		}
	case EventHandlerStart:
		bannerWidth(&b, fmt.Sprintf("RUNNING HANDLER [%s]", e.Task), s.Width)
	case EventRetry:
		fmt.Fprintf(&b, "FAILED - RETRYING: [%s]: %s (%d retries left).\n", e.Host, e.Task, e.Retries)
	case EventAsyncPoll, EventAsyncOK, EventAsyncFailed:
		asyncLine(&b, e)
	case EventOutput:
		if s.verbosity >= 1 {
			fmt.Fprintf(&b, "[%s] %s\n", e.Host, e.Msg)
		}
	case EventProgress:
		s.progress(&b, e)
	case EventHostResult:
		s.endProgress(&b, e.Host)
		for _, w := range moduleWarnings(&e) {
			s.warned.write(&b, s.Warnings, &s.mu, w, true, s.Width, s.colors.warn)
		}
		s.hostResult(&b, e)
	case EventWarning:
		s.warned.write(&b, s.Warnings, &s.mu, e.Msg, false, s.Width, s.colors.warn)
	case EventDisplay:
		fmt.Fprintf(&b, "%s\n", e.Msg)
	case EventIncluded:
		s.included(&b, e)
	case EventRecap:
		s.recap(&b, e)
	}
	if b.Len() == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _ = io.WriteString(s.w, b.String())
}

// progress redraws one line: bytes done, rate and time left.
func (s *TextSink) progress(b *strings.Builder, e Event) {
	if !s.Progress || e.Total <= 0 {
		return
	}
	s.mu.Lock()
	start, ok := s.transfers[e.Host]
	if !ok {
		start = time.Now()
		s.transfers[e.Host] = start
	}
	s.mu.Unlock()
	if e.Unit == "seconds" {
		fmt.Fprintf(b, "\r\033[K%s left", time.Duration(e.Total-e.Done)*time.Second)
		return
	}
	elapsed := time.Since(start).Seconds()
	line := fmt.Sprintf("[%s] %s / %s (%d%%)", e.Host, modules.HumanBytes(e.Done), modules.HumanBytes(e.Total), e.Done*100/e.Total)
	if elapsed > 0.5 && e.Done > 0 {
		rate := float64(e.Done) / elapsed
		eta := time.Duration(float64(e.Total-e.Done) / rate * float64(time.Second)).Round(time.Second)
		line += fmt.Sprintf("  %s/s  ETA %s", modules.HumanBytes(int64(rate)), eta)
	}
	fmt.Fprintf(b, "\r\033[K%s", line)
}

func (s *TextSink) endProgress(b *strings.Builder, host string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.transfers[host]; ok {
		delete(s.transfers, host)
		b.WriteString("\r\033[K")
	}
}

// bannerWidth prints Ansible's "\nPLAY [x] ****" line as wide as the
// terminal (width columns; 0 off a terminal), as Ansible's display does:
// max(79, width-1) columns of title and stars, at least three stars.
func bannerWidth(b *strings.Builder, title string, width int) {
	columns := max(79, width-1)
	stars := max(columns-textWidth(title), 3)
	fmt.Fprintf(b, "\n%s %s\n", title, strings.Repeat("*", stars))
}

// textWidth is how many columns a terminal gives text, as Ansible's
// get_text_width (wcwidth): East Asian wide characters take two, combining
// marks none.
func textWidth(text string) int {
	n := 0
	for _, r := range text {
		switch {
		case unicode.In(r, unicode.Mn, unicode.Me):
		case width.LookupRune(r).Kind() == width.EastAsianWide || width.LookupRune(r).Kind() == width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

func (s *TextSink) hostResult(b *strings.Builder, e Event) {
	if isInclude(e.Module) && e.Status == StatusOK {
		return // Ansible shows an inclusion as its `included:` line only
	}
	for _, item := range e.Items {
		s.hostLine(b, item)
	}
	// After a loop's item lines, Ansible prints the host's line only when the
	// whole task was skipped (or the host became unreachable).
	if len(e.Items) == 0 || e.Status == StatusSkipped || e.Status == StatusUnreachable {
		s.hostLine(b, e)
	}
	if e.Ignored {
		b.WriteString(s.colors.skipped("...ignoring") + "\n")
	}
}

func (s *TextSink) hostLine(b *strings.Builder, e Event) {
	label := ""
	if e.Item != nil {
		label = fmt.Sprintf(" => (item=%s)", itemLabel(e.Item))
	}
	host := e.Host // Ansible's host_label, except on skipping lines
	if e.Delegate != "" {
		host += " -> " + e.Delegate
	}
	paint := s.colors.ok
	var line string
	switch e.Status {
	case StatusOK:
		line = fmt.Sprintf("ok: [%s]%s", host, label)
	case StatusChanged:
		paint = s.colors.changed
		line = fmt.Sprintf("changed: [%s]%s", host, label)
	case StatusSkipped:
		paint = s.colors.skipped
		line = fmt.Sprintf("skipping: [%s]%s", e.Host, label)
		if label != "" {
			line += " " // Ansible's skipped item lines end with a space
		}
	case StatusFailed:
		paint = s.colors.failed
		if e.Item != nil {
			line = fmt.Sprintf("failed: [%s] (item=%s)", host, itemLabel(e.Item))
		} else {
			line = fmt.Sprintf("fatal: [%s]: FAILED!", host)
		}
	case StatusUnreachable:
		paint = s.colors.failed
		line = fmt.Sprintf("fatal: [%s]: UNREACHABLE!", host)
	}
	if body := s.body(e); body != "" {
		line += " => " + body
	}
	b.WriteString(paint(line) + "\n")
	for _, p := range e.Plan {
		if e.Check {
			b.WriteString(paint("    would "+p) + "\n")
		} else if s.verbosity >= 1 {
			b.WriteString(paint("    "+p) + "\n")
		}
	}
	if s.diff {
		for _, d := range e.Diffs {
			if d.Prepared != "" { // as Ansible's callback shows diff.prepared
				b.WriteString(d.Prepared + "\n")
				continue
			}
			b.WriteString(s.unifiedDiff(d.Path, d.Before, d.After))
		}
	}
}

// body is the JSON shown after "=>": always for failures and debug output,
// otherwise from -v on.
func (s *TextSink) body(e Event) string {
	show := s.verbosity >= 1 || e.Status == StatusFailed || e.Status == StatusUnreachable ||
		(e.Show && (e.Status == StatusOK || e.Status == StatusChanged))
	if !show {
		return ""
	}
	data := e.Result
	if len(data) == 0 && e.Msg != "" {
		data = map[string]any{"msg": e.Msg}
	}
	if len(data) == 0 {
		return ""
	}
	if e.Show && (e.Status == StatusOK || e.Status == StatusChanged) && s.verbosity == 0 {
		data = debugView(e.Module, data)
	}
	if e.Status == StatusFailed || e.Status == StatusUnreachable {
		data = withoutKeys(data, "failed", "unreachable")
	}
	if s.verbosity >= 1 || e.Show {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "    ")
		if err := enc.Encode(data); err != nil {
			return escapeControls(fmt.Sprintf("%v", data))
		}
		return escapeControls(strings.TrimRight(buf.String(), "\n"))
	}
	return escapeControls(pyjson.Dumps(data, false))
}

func withoutKeys(m map[string]any, keys ...string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

// debugView keeps what Ansible shows for debug at verbosity 0: the message or
// the variable, without the bookkeeping fields.
func debugView(module string, data map[string]any) map[string]any {
	_, hasMsg := data["msg"]
	if module == "debug" && !hasMsg { // var=: a loop's variables stay, as in Ansible's _clean_results
		return withoutKeys(data, "changed", "failed", "skipped", "invocation", "skip_reason")
	}
	out := withoutKeys(data, "failed", "skipped", "ansible_loop_var", "item", "ansible_index_var", "ansible_loop")
	if hasMsg && module == "debug" { // debug's message stands alone, as in Ansible
		for _, k := range []string{"ansible_loop_var", "ansible_index_var"} {
			if name, ok := data[k].(string); ok {
				delete(out, name)
			}
		}
	}
	// Ansible's default output drops changed from debug results only.
	if module == "debug" {
		delete(out, "changed")
	}
	return out
}

func itemLabel(item any) string {
	if s, ok := item.(string); ok {
		return s
	}
	return escapeControls(template.Str(item)) // as Ansible prints it: Python's str()
}

func (s *TextSink) recap(b *strings.Builder, e Event) {
	bannerWidth(b, "PLAY RECAP", s.Width)
	for _, st := range e.Stats {
		host := fmt.Sprintf("%-26s", st.Host)
		switch {
		case st.Failed > 0 || st.Unreachable > 0:
			host = s.colors.failed(host)
		case st.Changed > 0:
			host = s.colors.changed(host)
		default:
			host = s.colors.ok(host)
		}
		fmt.Fprintf(b, "%s : %s %s %s %s %s %s %s\n", host,
			s.count("ok", st.OK, s.colors.ok), s.count("changed", st.Changed, s.colors.changed),
			s.count("unreachable", st.Unreachable, s.colors.failed), s.count("failed", st.Failed, s.colors.failed),
			s.count("skipped", st.Skipped, s.colors.skipped), s.count("rescued", st.Rescued, s.colors.ok),
			s.count("ignored", st.Ignored, s.colors.warn))
	}
	b.WriteString("\n")
	if s.ShowCustomStats {
		s.customStatsText(b, e.Custom)
	}
	if e.Msg != "" {
		fmt.Fprintf(b, "%s\n", e.Msg)
	}
}

// count is Ansible's "ok=1   " cell: coloured only when non-zero.
func (s *TextSink) count(name string, n int, paint func(a ...any) string) string {
	cell := fmt.Sprintf("%s=%-4d", name, n)
	if n == 0 {
		return cell
	}
	return paint(cell)
}

// unifiedDiff renders Ansible's --diff: "--- before: PATH", "+++ after:
// PATH", then @@ hunks with three lines of context; coloured as Ansible's
// (removed red, added green, hunk headers cyan) when the palette is.
func (s *TextSink) unifiedDiff(path, before, after string) string {
	if before == after {
		return ""
	}
	text := udiff.Unified("before: "+path, "after: "+path, before, after)
	var b strings.Builder
	for _, line := range strings.SplitAfter(text, "\n") {
		body := strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "---"), strings.HasPrefix(line, "+++"):
			b.WriteString(body)
		case strings.HasPrefix(line, "@@"):
			b.WriteString(s.colors.skipped(body))
		case strings.HasPrefix(line, "-"):
			b.WriteString(s.colors.failed(body))
		case strings.HasPrefix(line, "+"):
			b.WriteString(s.colors.ok(body))
		default:
			b.WriteString(body)
		}
		b.WriteString("\n")
	}
	return b.String()
}
