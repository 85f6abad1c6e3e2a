// Package journal keeps the record of every run: one append-only file of
// JSON lines per run under the site directory (.ferry/journal/), written as
// the run goes, so that an interrupted run leaves a record too. The
// package stores and finds records; what they mean (events, facts, resume)
// is the runner's. Callers mask secrets before anything reaches it.
package journal

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Header is a run's first line.
type Header struct {
	Event        string    `json:"event"` // "run_start"
	ID           string    `json:"id"`
	Time         time.Time `json:"time"`
	Playbook     string    `json:"playbook"`
	Command      []string  `json:"command,omitempty"` // ferry's arguments, masked
	Check        bool      `json:"check,omitempty"`
	Resumes      string    `json:"resumes,omitempty"` // the run this one resumed
	PlaybookSum  string    `json:"playbook_sha256"`
	InventorySum string    `json:"inventory_sha256"`
}

// Footer is a finished run's last line; a run without one was interrupted
// hard (killed, power lost).
type Footer struct {
	Event string    `json:"event"` // "run_end"
	Time  time.Time `json:"time"`
	Exit  int       `json:"exit"`
}

// Dir is where the journal of the site at siteDir lives.
func Dir(siteDir string) string { return filepath.Join(siteDir, ".ferry", "journal") }

// Writer appends one run's lines. It is safe for concurrent use.
type Writer struct {
	mu   sync.Mutex
	f    *os.File
	path string
	err  error
}

// Create starts the journal file of a new run in dir, named by its start
// time (to the millisecond) so that names sort in run order, and writes h
// (ID set here).
func Create(dir string, h Header) (*Writer, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	h.Event, h.Time = "run_start", h.Time.UTC()
	for i := 0; ; i++ {
		h.ID = h.Time.Format("20060102T150405.000Z")
		if i > 0 {
			h.ID += fmt.Sprintf("_%d", i) // '_' sorts after '.': names stay in run order
		}
		path := filepath.Join(dir, h.ID+".jsonl")
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
		if errors.Is(err, os.ErrExist) && i < 100 {
			continue
		}
		if err != nil {
			return nil, err
		}
		w := &Writer{f: f, path: path}
		w.Record(h)
		return w, w.err
	}
}

// ID is the run's identifier, as `ferry log` names it.
func (w *Writer) ID() string { return strings.TrimSuffix(filepath.Base(w.path), ".jsonl") }

// Write appends raw lines (already JSON, newline-terminated); it implements
// io.Writer for the runner's JSON sink. The first error sticks.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.f.Write(p)
	w.err = err
	return n, err
}

// Record appends v as one JSON line.
func (w *Writer) Record(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		w.mu.Lock()
		w.err = err
		w.mu.Unlock()
		return
	}
	_, _ = w.Write(append(b, '\n'))
}

// Close writes the footer and closes the file.
func (w *Writer) Close(exit int) error {
	w.Record(Footer{Event: "run_end", Time: time.Now().UTC(), Exit: exit})
	err := w.f.Close()
	if w.err != nil {
		return w.err
	}
	return err
}

// Run is one journal file, read back.
type Run struct {
	Header
	Path     string
	Finished bool // it has a footer
	Exit     int  // the footer's exit code
}

// Status is the run's outcome in words.
func (r Run) Status() string {
	switch {
	case !r.Finished:
		return "interrupted"
	case r.Exit == 0:
		return "ok"
	case r.Exit == 2:
		return "failed"
	case r.Exit == 3:
		return "unreachable"
	case r.Exit == 99:
		return "interrupted"
	}
	return fmt.Sprintf("exit %d", r.Exit)
}

// List returns the runs in dir, oldest first.
func List(dir string) ([]Run, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return nil, err
	}
	slices.Sort(paths)
	var runs []Run
	for _, p := range paths {
		r, err := readSummary(p)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	return runs, nil
}

// Find returns the run with that ID ("" or "last": the latest).
func Find(dir, id string) (Run, error) {
	runs, err := List(dir)
	if err != nil {
		return Run{}, err
	}
	if len(runs) == 0 {
		return Run{}, fmt.Errorf("no runs are recorded in %s", dir)
	}
	if id == "" || id == "last" {
		return runs[len(runs)-1], nil
	}
	for _, r := range runs {
		if r.ID == id {
			return r, nil
		}
	}
	return Run{}, fmt.Errorf("no run %q in %s; `ferry log` lists them", id, dir)
}

func readSummary(path string) (Run, error) {
	run := Run{Path: path}
	err := Lines(path, func(line []byte) error {
		var kind struct {
			Event string `json:"event"`
		}
		if json.Unmarshal(line, &kind) != nil {
			return nil // a line cut short by a crash
		}
		switch kind.Event {
		case "run_start":
			return json.Unmarshal(line, &run.Header)
		case "run_end":
			var f Footer
			if err := json.Unmarshal(line, &f); err != nil {
				return err
			}
			run.Finished, run.Exit = true, f.Exit
		}
		return nil
	})
	if err == nil && run.ID == "" {
		err = fmt.Errorf("%s: not a ferry journal (no run_start line)", path)
	}
	return run, err
}

// Lines calls f with each line of the journal file at path.
func Lines(path string, f func(line []byte) error) error {
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	r := bufio.NewReader(file)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			if ferr := f(line); ferr != nil {
				return fmt.Errorf("%s: %w", path, ferr)
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
