package runner

// templatedRunOnce reports whether a run_once template renders true with
// the first host's variables, as 2.14's linear strategy templates it for
// the host it is at before it stops looping over the others. A template
// that does not render runs the task on every host.
func (r *Runner) templatedRunOnce(pr *playRun, t *Task, first *hostState) bool {
	if t.Templated.RunOnce == "" {
		return false
	}
	b, err := renderBool(r.scope(pr, t, first), t.Templated.RunOnce)
	return err == nil && b
}
