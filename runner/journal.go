package runner

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ferry-sh/ferry/journal"
)

// The journal-only events: what a task set on a host (register, set_fact),
// so that --resume can set it again, and a task a resumed run did not run
// again. Screen sinks ignore them.
const (
	EventFacts    EventType = "facts"
	EventReplayed EventType = "replayed"
	EventJobEnd   EventType = "job_end" // how a poll: 0 job ended (resumejobs.go)
)

// journalOnly reports whether screen output leaves e out.
func journalOnly(e Event) bool {
	return e.Type == EventFacts || e.Type == EventReplayed || e.Type == EventJobEnd
}

// SiteDir is the directory a run's journal lives under: the first
// inventory source if it is a directory (a site), else the directory of
// the inventory file.
func SiteDir(inventories []string) string {
	if len(inventories) == 0 {
		return "."
	}
	src := inventories[0]
	if fi, err := os.Stat(src); err == nil && fi.IsDir() {
		return src
	}
	return filepath.Dir(src)
}

// startJournal opens this run's journal (when Session.Journal is set) and,
// for --resume, reads the plan from the last run's journal first.
func (s *Session) startJournal(pb *Playbook) (*journal.Writer, error) {
	if !s.Journal && !s.Resume {
		return nil, nil
	}
	dir := journal.Dir(SiteDir(s.Inventories))
	pbSum, invSum, err := s.sums(pb)
	if err != nil {
		return nil, err
	}
	h := journal.Header{Time: time.Now(), Playbook: pb.Name(), Check: s.Check, PlaybookSum: pbSum, InventorySum: invSum}
	for _, a := range s.Command {
		h.Command = append(h.Command, s.Masker.String(a))
	}
	if s.Resume {
		plan, last, err := loadResume(dir, h)
		if err != nil {
			return nil, err
		}
		s.Options.ResumePlan, h.Resumes = plan, last
	}
	if !s.Journal {
		return nil, nil
	}
	w, err := journal.Create(dir, h)
	if err != nil {
		fmt.Fprintf(s.Masker.Writer(s.Stderr), "[WARNING]: no journal for this run: %v\n", err)
		return nil, nil
	}
	return w, nil
}

// endJournal writes the run's end; a journal that could not be written is
// a warning, the run's outcome stands.
func (s *Session) endJournal(w *journal.Writer, code int) {
	if w == nil {
		return
	}
	if err := w.Close(code); err != nil {
		fmt.Fprintf(s.Masker.Writer(s.Stderr), "[WARNING]: the journal of this run is incomplete: %v\n", err)
	}
}

// teeSink sends every event to each sink; the screen's skip journal-only ones.
type teeSink struct {
	screen  Sink
	journal Sink
}

func (t teeSink) Event(e Event) {
	if !journalOnly(e) {
		t.screen.Event(e)
	}
	t.journal.Event(e)
}

// withJournal adds the journal to the run's sink: events as --output json
// writes them, through the same masker as the screen.
func (s *Session) withJournal(screen Sink, w *journal.Writer) Sink {
	if w == nil {
		return screenOnly{screen}
	}
	return teeSink{screen: screen, journal: NewJSONSink(s.Masker.Writer(w))}
}

// screenOnly drops journal-only events when there is no journal.
type screenOnly struct{ Sink }

func (s screenOnly) Event(e Event) {
	if !journalOnly(e) {
		s.Sink.Event(e)
	}
}

// sums identify the playbook and the inventory a run used, so that
// --resume can refuse when either changed since: every YAML and template
// file beside the playbook (its task files, roles, templates) and every
// file of the inventory sources. Large files count by size and time.
func (s *Session) sums(pb *Playbook) (playbook, inventory string, err error) {
	if DisplayPath(pb.File) != pb.File {
		playbook, err = embeddedDigest()
		playbook += ":" + pb.Name()
	} else {
		playbook, err = treeSum([]string{pb.Dir}, func(p string) bool {
			ext := filepath.Ext(p)
			return ext == ".yml" || ext == ".yaml" || ext == ".j2" || ext == ".json"
		})
	}
	if err != nil {
		return "", "", err
	}
	inventory, err = treeSum(s.Inventories, func(string) bool { return true })
	return playbook, inventory, err
}

func treeSum(roots []string, want func(string) bool) (string, error) {
	h := sha256.New()
	for _, root := range roots {
		if isHostList(root) {
			fmt.Fprintf(h, "%s\x00", root)
			continue
		}
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if p != root && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir // .ferry (the journal itself), .git
				}
				return nil
			}
			if !d.Type().IsRegular() || !want(p) {
				return nil
			}
			return hashFile(h, p)
		})
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// isHostList reports whether an inventory source is Ansible's host list
// (-i web1,web2,) rather than a path.
func isHostList(src string) bool {
	_, err := os.Stat(src)
	return errors.Is(err, fs.ErrNotExist) && strings.Contains(src, ",")
}

func hashFile(h io.Writer, path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(h, "%s\x00%d\x00", path, fi.Size())
	if fi.Size() > 1<<20 {
		fmt.Fprintf(h, "%d\x00", fi.ModTime().UnixNano())
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(h, f)
	return err
}

// factsEvent is the journal's record of what task t set on host h. A value
// holding a secret (or set by a no_log task) is not written: the event says
// so, and a resumed run runs that task again rather than replay a mask.
func (r *Runner) factsEvent(t *Task, h *hostState, updates map[string]any) {
	if len(updates) == 0 {
		return
	}
	e := Event{Type: EventFacts, Host: h.name, Task: t.Title(), Pos: t.Pos.String(), Result: updates}
	b, err := json.Marshal(updates)
	if err != nil || t.mayHide() || r.opts.Masker.Contains(string(b)) {
		e.Result, e.Msg = nil, "secret"
	}
	r.emit(e)
}
