package modules

import (
	"bytes"
	"sync"
)

// LineEmitter turns a command's streamed output into output events, one per
// complete line, so a long command shows progress as it runs.
type LineEmitter struct {
	h    *Host
	mu   *sync.Mutex // shared by a command's stdout and stderr emitters
	part []byte
}

// NewLineEmitters returns the emitters for one command's stdout and stderr;
// they share a lock because separate goroutines copy the two streams. Call
// Flush on both once the command has ended.
func NewLineEmitters(h *Host) (stdout, stderr *LineEmitter) {
	mu := &sync.Mutex{}
	return &LineEmitter{h: h, mu: mu}, &LineEmitter{h: h, mu: mu}
}

func (w *LineEmitter) Write(p []byte) (int, error) {
	if w.h.Events == nil {
		return len(p), nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.part = append(w.part, p...)
	for {
		i := bytes.IndexByte(w.part, '\n')
		if i < 0 {
			break
		}
		w.h.Emit(Event{Kind: "output", Line: string(w.part[:i])})
		w.part = w.part[i+1:]
	}
	return len(p), nil
}

// Flush emits a last line that had no newline.
func (w *LineEmitter) Flush() {
	if len(w.part) > 0 {
		w.h.Emit(Event{Kind: "output", Line: string(w.part)})
		w.part = nil
	}
}
