package runner

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"golang.org/x/term"
)

// StepAnswer is the reply to --step's question before a task.
type StepAnswer int

// The answers of ansible-playbook's "(N)o/(y)es/(c)ontinue".
const (
	StepNo StepAnswer = iota
	StepYes
	StepContinue
)

// taskGate decides whether a task runs at all, before its header prints:
// --start-at-task skips the tasks before the named one, --step asks.
type taskGate struct {
	mu      sync.Mutex
	startAt string // cleared once the task is reached
	step    func(string) StepAnswer
}

func newTaskGate(opts Options) taskGate {
	return taskGate{startAt: opts.StartAtTask, step: opts.Step}
}

// admit reports whether t runs. Fact gathering is not a task the user
// named, so it always runs, as in Ansible.
func (g *taskGate) admit(t *Task) bool {
	if t.Module == "setup" && t.Name == "Gathering Facts" {
		return true
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.startAt != "" {
		if t.Title() != g.startAt {
			return false
		}
		g.startAt = ""
	}
	if g.step == nil {
		return true
	}
	switch g.step(t.Title()) {
	case StepContinue:
		g.step = nil
		return true
	case StepYes:
		return true
	}
	return false
}

// StepPrompter asks ansible-playbook's question on out and reads the answer
// from in; no answer (end of input) is No, as the default.
func StepPrompter(in io.Reader, out io.Writer) func(task string) StepAnswer {
	lines := bufio.NewScanner(in)
	f, isFile := in.(*os.File)
	echoed := isFile && term.IsTerminal(int(f.Fd())) // the terminal shows the answer and its newline
	return func(task string) StepAnswer {
		fmt.Fprintf(out, "Perform task: TASK: %s (N)o/(y)es/(c)ontinue: ", task)
		ok := lines.Scan()
		if !echoed || !ok {
			fmt.Fprintln(out)
		}
		if !ok {
			return StepNo
		}
		switch strings.ToLower(strings.TrimSpace(lines.Text())) {
		case "y", "yes":
			return StepYes
		case "c", "continue":
			return StepContinue
		}
		return StepNo
	}
}

// connSecrets are the passwords among the command line's connection
// settings (-k, -K), to be masked from the start.
func connSecrets(defaults map[string]any) []string {
	var out []string
	for _, k := range []string{"ansible_password", "ansible_become_password"} {
		if v, ok := defaults[k].(string); ok && v != "" {
			out = append(out, v)
		}
	}
	return out
}

// CheckStartAtTask is an error when no task of pb has the name given to
// --start-at-task (Ansible then runs nothing and says so too).
func CheckStartAtTask(pb *Playbook, name string) error {
	if name == "" {
		return nil
	}
	for _, play := range pb.Plays {
		for _, t := range play.runnableTasks() {
			if t.Title() == name {
				return nil
			}
		}
	}
	return &UsageError{Msg: fmt.Sprintf("--start-at-task %q: no task of %s has that name; `ferry run --list-tasks` lists them", name, pb.Name())}
}
