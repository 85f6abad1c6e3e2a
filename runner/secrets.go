package runner

import (
	"github.com/ferry-sh/ferry/inventory"
	"github.com/ferry-sh/ferry/runner/template"
)

// collectSecrets registers, before the first task runs, every value that
// will be a secret during the run, so that no output (a debug of the same
// variable earlier in the play, say) can show one before the task that
// makes it secret has run. The inventory's !secret values and passwords,
// --secrets and -e @file values are registered when they are loaded; this
// adds, for every play and every host it may run on:
//   - the !secret values of the play's vars_files;
//   - the connection and become passwords (inventory.PasswordVars) as the
//     host's play and task variables resolve them;
//   - every value bound to a module argument declared secret, literal or
//     templated, rendered in the host's scope (per loop item for a loop).
//
// A value that depends on something only the run produces (a registered
// result, a fact) cannot be known here; it is registered when the task binds
// its arguments, before the module runs (see invoke).
func (r *Runner) collectSecrets(pb *Playbook) {
	for _, play := range pb.Plays {
		varsFiles, err := r.loadVarsFiles(play)
		if err != nil {
			continue // reported when the play starts
		}
		hosts, err := r.match(play.Hosts)
		if err != nil {
			continue
		}
		pr := &playRun{play: play, varsFiles: varsFiles}
		for _, ih := range hosts {
			h := &hostState{name: ih.Name}
			h.setInventoryVars(r.opts.Inventory.HostVars(ih.Name))
			r.collectPasswords(r.scope(pr, &Task{}, h))
			play.AllTasks(func(t *Task, _ bool) {
				r.collectTaskSecrets(pr, t, h)
			})
		}
	}
}

func (r *Runner) collectTaskSecrets(pr *playRun, t *Task, h *hostState) {
	hasSecretArg := t.Spec.HasSecrets()
	if len(t.Vars) == 0 && !hasSecretArg {
		return
	}
	sc := r.scope(pr, t, h)
	if len(t.Vars) > 0 {
		r.collectPasswords(sc)
	}
	if !hasSecretArg {
		return
	}
	if t.Loop == nil {
		r.collectSecretArgs(sc, t)
		return
	}
	items, err := r.loopItems(sc, t)
	if err != nil {
		return
	}
	loopVar := t.LoopVar
	if loopVar == "" {
		loopVar = "item"
	}
	for _, item := range items {
		r.collectSecretArgs(sc.withLayer(map[string]any{loopVar: item}), t)
	}
}

// collectPasswords registers the passwords sc resolves.
func (r *Runner) collectPasswords(sc *scope) {
	for _, name := range inventory.PasswordVars {
		if v, _, err := sc.Lookup(name); err == nil && v != nil {
			r.opts.Masker.Add(leafStrings(v)...)
		}
	}
}

// collectSecretArgs registers the values of t's secret arguments in sc; one
// that cannot be rendered yet, or that would run a lookup with effects
// (pipe, password) before its task, is left to bind time.
func (r *Runner) collectSecretArgs(sc *scope, t *Task) {
	for _, raw := range t.Spec.SecretArgs(t.Args) {
		if template.HasEffects(raw) {
			continue
		}
		if v, err := sc.render(raw); err == nil && v != nil {
			r.opts.Masker.Add(leafStrings(v)...)
		}
	}
}
