package probe

import (
	"context"
	"maps"
	"slices"

	"github.com/ferry-sh/ferry/internal/keyorder"
	"github.com/ferry-sh/ferry/modules"
)

// gatherFacts is ansible.builtin.gather_facts as a task: ansible-core's
// action runs the facts modules (setup, on an ordinary connection) with the
// task's arguments and returns their facts, warnings and deprecations; it
// also marks the facts gathered (ansible_facts._ansible_facts_gathered).
type gatherFacts struct{}

func init() { modules.Register(gatherFacts{}) }

func (gatherFacts) Spec() modules.Spec {
	spec := setup{}.Spec()
	spec.Name = "gather_facts"
	spec.Summary = "Gather the host's facts as a task (setup's facts, with its gather_subset and filter)"
	spec.Args = append(slices.Clone(spec.Args), modules.Arg{Name: "parallel", Type: modules.Bool,
		Doc: "Run the facts modules at once (ferry has one: setup); accepted as Ansible takes it."})
	spec.Check = modules.CheckSupported
	// plugins/action/gather_facts.py's _combine_task_result.
	spec.Returns = []string{"ansible_facts", "warnings", "deprecations"}
	return spec
}

func (gatherFacts) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	setupArgs := maps.Clone(args)
	delete(setupArgs, "parallel")
	res, err := setup{}.Run(ctx, h, setupArgs)
	if err != nil || res.Failed {
		return res, err
	}
	if facts, ok := res.Facts["ansible_facts"].(map[string]any); ok {
		keyorder.Put(facts, "_ansible_facts_gathered", true)
	}
	res.Data["warnings"] = []any{}
	res.Data["deprecations"] = []any{}
	return res, nil
}
