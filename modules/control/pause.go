package control

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/ferry-sh/ferry/modules"
)

func init() { modules.Register(pauseModule{}) }

// pauseModule is Ansible's pause: it waits a number of seconds or minutes,
// or for Enter (prompt), once for all the play's hosts.
type pauseModule struct{}

type pauseOptions struct {
	Seconds *int   `opt:"seconds" doc:"How many seconds to wait (at least 1)."`
	Minutes *int   `opt:"minutes" doc:"How many minutes to wait."`
	Prompt  string `opt:"prompt" doc:"Text to show; without seconds or minutes, waits for Enter and registers what was typed as user_input. Without a terminal it does not wait (a warning says so), as Ansible."`
	Echo    bool   `opt:"echo" default:"true" doc:"Show what is typed at the prompt."`
}

func (pauseOptions) OptionChecks() map[string]func(any) error {
	return map[string]func(any) error{"seconds": checkPauseTime, "minutes": checkPauseTime}
}

func (pauseModule) Spec() modules.Spec {
	return modules.Spec{
		Name:       "pause",
		Summary:    "Wait for a number of seconds or minutes, or for Enter",
		Args:       modules.OptionsOf[pauseOptions](),
		Exclusive:  [][]string{{"seconds", "minutes"}},
		Check:      modules.CheckSupported,
		Controller: true,
		Once:       true,
	}
}

func (pauseModule) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	if h.Console == nil {
		return modules.Result{}, fmt.Errorf("pause has no console to run on")
	}
	o, err := modules.Decode[pauseOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	p := pauseOf(h.Task, o)
	start := time.Now()
	input, err := p.run(ctx, h.Console)
	stop := time.Now()
	if !p.echo {
		h.AddSecret(input) // typed unseen: a password, as vars_prompt's private answers
	}
	if err != nil {
		return modules.Result{}, fmt.Errorf("pause interrupted after %s: %w", stop.Sub(start).Round(time.Second), err)
	}
	msg := p.paused(stop.Sub(start))
	return modules.Result{Data: map[string]any{
		"start": modules.FormatTime(start), "stop": modules.FormatTime(stop), "delta": int(stop.Sub(start).Seconds()),
		"stdout": msg, "stderr": "", "rc": 0, "user_input": input, "echo": p.echo,
	}}, nil
}

// pause is one pause task's arguments, resolved as Ansible's action plugin
// (plugins/action/pause.py) resolves them.
type pause struct {
	wait   time.Duration // 0: wait for Enter
	unit   string        // of the duration in stdout: minutes unless seconds was given
	prompt string        // Ansible's "[task]\ntext:"
	custom bool          // the task gave a prompt
	echo   bool
	hidden string // " (output is hidden)" when echo is off
}

func pauseOf(task string, o pauseOptions) pause {
	p := pause{unit: "minutes", echo: o.Echo, custom: o.Prompt != ""}
	if !p.echo {
		p.hidden = " (output is hidden)"
	}
	text := "Press enter to continue, Ctrl+C to interrupt"
	if p.custom {
		text = o.Prompt
	}
	if task == "" {
		task = "pause"
	}
	p.prompt = fmt.Sprintf("[%s]\n%s%s:", task, text, p.hidden)
	switch {
	case o.Minutes != nil:
		p.wait = max(time.Duration(*o.Minutes)*time.Minute, time.Second) // at least a second, as Ansible
	case o.Seconds != nil:
		p.wait, p.unit = max(time.Duration(*o.Seconds)*time.Second, time.Second), "seconds"
	}
	return p
}

// run shows what Ansible shows and waits: the time given, or for a line
// typed at the terminal; without a terminal a prompt does not wait.
func (p pause) run(ctx context.Context, c modules.Console) (string, error) {
	if p.wait > 0 {
		keys := "(ctrl+C = abort)" // ferry's Ctrl+C stops the run; Ansible's asks to continue or abort
		if c.Interactive() {
			keys = "(Enter = continue early, ctrl+C = abort)"
		}
		c.Display(fmt.Sprintf("Pausing for %d seconds%s", int(p.wait/time.Second), p.hidden), keys)
		if p.custom {
			c.Display(p.prompt)
		}
		return "", c.Wait(ctx, p.wait)
	}
	if !c.Interactive() {
		c.Display(p.prompt)
		c.Warn("Not waiting for response to prompt as stdin is not interactive")
		return "", nil
	}
	return c.Ask(ctx, p.prompt, p.echo)
}

// paused is the result's stdout: "Paused for 1.0 seconds", the duration
// rounded to two decimals and printed as Python prints a float.
func (p pause) paused(d time.Duration) string {
	x := d.Seconds()
	if p.unit == "minutes" {
		x = d.Minutes()
	}
	x = math.Round(x*100) / 100
	s := strconv.FormatFloat(x, 'f', -1, 64)
	if x == math.Trunc(x) {
		s += ".0"
	}
	return fmt.Sprintf("Paused for %s %s", s, p.unit)
}

func checkPauseTime(v any) error {
	if n, _ := v.(int); n < 0 {
		return fmt.Errorf("pause cannot wait a negative time (%d); give 0 or more", n)
	}
	return nil
}
