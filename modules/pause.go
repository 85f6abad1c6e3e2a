package modules

import (
	"context"
	"fmt"
	"time"
)

func init() { Register(pauseModule{}) }

// pauseModule waits for a while (Ansible's pause, without the prompt).
type pauseModule struct{}

func (pauseModule) Spec() Spec {
	return Spec{
		Name:    "pause",
		Summary: "Wait for a number of seconds or minutes",
		Args: []Arg{
			{Name: "seconds", Check: checkPauseTime, Type: Int, Doc: "How many seconds to wait."},
			{Name: "minutes", Check: checkPauseTime, Type: Int, Doc: "How many minutes to wait."},
		},
		Exclusive:  [][]string{{"seconds", "minutes"}},
		Check:      CheckSupported,
		Controller: true,
	}
}

func (pauseModule) Run(ctx context.Context, _ *Host, args Args) (Result, error) {
	var d time.Duration
	switch {
	case args.Has("seconds"):
		d = time.Duration(args.Int("seconds")) * time.Second
	case args.Has("minutes"):
		d = time.Duration(args.Int("minutes")) * time.Minute
	default:
		return Result{}, fmt.Errorf("pause needs seconds or minutes: ferry runs unattended and never prompts")
	}
	if d < 0 {
		return Result{}, fmt.Errorf("pause cannot wait a negative time (%s)", d)
	}
	start := time.Now()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return Result{}, fmt.Errorf("pause interrupted after %s: %w", time.Since(start).Round(time.Second), ctx.Err())
	case <-timer.C:
	}
	stop := time.Now()
	msg := fmt.Sprintf("Paused for %s", pausedFor(d))
	return Result{Msg: msg, Data: map[string]any{
		"start": formatTime(start), "stop": formatTime(stop), "delta": int(stop.Sub(start).Seconds()),
		"stdout": msg, "user_input": "", "echo": true,
	}}, nil
}

func pausedFor(d time.Duration) string {
	if d >= time.Minute && d%time.Minute == 0 {
		return fmt.Sprintf("%d minutes", int(d/time.Minute))
	}
	return fmt.Sprintf("%d seconds", int(d/time.Second))
}
