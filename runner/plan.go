package runner

import (
	"fmt"
	"io"
	"strings"
	"sync"
)

// planSink adds the end of a --check run: per host, the changes the run
// would make, or that nothing would change, after the recap.
type planSink struct {
	Sink
	w       io.Writer
	colors  palette
	width   int
	mu      sync.Mutex
	changes map[string][]string // host -> "[task] would ..." lines
}

func newPlanSink(inner Sink, w io.Writer, useColor bool, width int) *planSink {
	return &planSink{Sink: inner, w: w, colors: newPalette(useColor), width: width, changes: map[string][]string{}}
}

// Event implements Sink.
func (p *planSink) Event(e Event) {
	switch e.Type {
	case EventHostResult:
		p.collect(e)
	case EventRecap:
		p.Sink.Event(e)
		p.print(e.Stats)
		return
	}
	p.Sink.Event(e)
}

func (p *planSink) collect(e Event) {
	e, _ = e.redacted()
	results := e.Items
	if results == nil {
		results = []Event{e}
	}
	var lines []string
	for _, r := range results {
		if r.Status != StatusChanged || !e.Check {
			continue
		}
		if len(r.Plan) == 0 {
			lines = append(lines, fmt.Sprintf("[%s] would change", e.Task))
		}
		for _, step := range r.Plan {
			lines = append(lines, fmt.Sprintf("[%s] would %s", e.Task, step))
		}
	}
	if len(lines) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.changes[e.Host] = append(p.changes[e.Host], lines...)
}

func (p *planSink) print(stats []HostStats) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	bannerWidth(&b, "PLAN (--check: nothing was changed)", p.width)
	for _, st := range stats {
		lines := p.changes[st.Host]
		if len(lines) == 0 {
			fmt.Fprintf(&b, "%s: %s\n", st.Host, p.colors.ok("nothing would change"))
			continue
		}
		noun := "changes"
		if len(lines) == 1 {
			noun = "change"
		}
		fmt.Fprintf(&b, "%s: %s\n", st.Host, p.colors.changed(fmt.Sprintf("%d %s", len(lines), noun)))
		for _, l := range lines {
			fmt.Fprintf(&b, "    %s\n", p.colors.changed(l))
		}
	}
	b.WriteString("\n")
	_, _ = io.WriteString(p.w, b.String())
}
