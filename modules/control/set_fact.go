package control

import (
	"context"
	"fmt"
	"github.com/ferry-sh/ferry/internal/pyname"

	"github.com/ferry-sh/ferry/modules"
)

func init() { modules.Register(setFactModule{}) }

// setFactModule turns its arguments into host variables (Ansible's set_fact).
type setFactModule struct{}

// setFactOptions are set_fact's one fixed option; every other name is a
// variable (Spec.Dynamic, DecodeDynamic).
type setFactOptions struct {
	Cacheable bool `opt:"cacheable" doc:"Accepted for Ansible compatibility and ignored: ferry keeps no fact cache."`
}

func (setFactModule) Spec() modules.Spec {
	return modules.Spec{
		Name:       "set_fact",
		Summary:    "Set host variables (facts) for the rest of the play",
		Args:       modules.OptionsOf[setFactOptions](),
		Dynamic:    true,
		Check:      modules.CheckSupported,
		Controller: true,
	}
}

func (setFactModule) Run(_ context.Context, _ *modules.Host, args modules.Args) (modules.Result, error) {
	_, vars, err := modules.DecodeDynamic[setFactOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	facts := map[string]any{}
	for name, val := range vars {
		if !pyname.IsIdentifier(name) {
			return failed(invalidName(name)), nil // as 2.14's set_fact action
		}
		facts[name] = val
	}
	if len(facts) == 0 {
		return modules.Result{}, fmt.Errorf("set_fact needs at least one name: value")
	}
	data := map[string]any{"ansible_facts": facts}
	return modules.Result{Facts: facts, Data: data}, nil
}
