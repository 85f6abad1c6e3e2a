package control

import (
	"context"
	"fmt"

	"github.com/ferry-sh/ferry/internal/keyorder"
	"github.com/ferry-sh/ferry/internal/pyname"
	"github.com/ferry-sh/ferry/modules"
)

func init() { modules.Register(setStatsModule{}) }

// setStatsModule is ansible.builtin.set_stats: values the run adds up (per
// host or for the whole run) and shows after the recap when
// show_custom_stats is set. The runner keeps the stats (customstats.go).
type setStatsModule struct{}

type setStatsOptions struct {
	Data      any  `opt:"data" doc:"The stats to set: a mapping of names to values (numbers add up, lists and text join, mappings merge)."`
	PerHost   bool `opt:"per_host" default:"false" doc:"Keep the stats per host instead of for the whole run."`
	Aggregate bool `opt:"aggregate" default:"true" doc:"Add to the stats already set (false: replace them)."`
}

func (setStatsModule) Spec() modules.Spec {
	return modules.Spec{
		Name:       "set_stats",
		Summary:    "Set custom stats, shown after the recap with show_custom_stats (per host or for the run)",
		Args:       modules.OptionsOf[setStatsOptions](),
		Check:      modules.CheckSupported,
		Controller: true,
		Returns:    []string{"changed", "ansible_stats"}, // plugins/action/set_stats.py's result
	}
}

// Run follows plugins/action/set_stats.py: data must be a mapping whose
// keys are variable names.
func (setStatsModule) Run(_ context.Context, _ *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[setStatsOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	data := map[string]any{}
	if o.Data != nil {
		m, ok := o.Data.(map[string]any)
		if !ok {
			return failed("The 'data' option needs to be a dictionary/hash"), nil
		}
		data = m
	}
	for _, k := range keyorder.Keys(data) {
		if !pyname.IsIdentifier(k) {
			return failed(invalidName(k)), nil
		}
	}
	stats := modules.Ordered(map[string]any{"data": data, "per_host": o.PerHost, "aggregate": o.Aggregate}, "data", "per_host", "aggregate")
	return modules.Result{Data: map[string]any{"ansible_stats": stats}}, nil
}

// invalidName is the set_fact and set_stats actions' message for a name
// isidentifier refuses.
func invalidName(name string) string {
	return fmt.Sprintf("The variable name '%s' is not valid. Variables must start with a letter or underscore character, and contain only letters, numbers and underscores.", name)
}

func failed(msg string) modules.Result {
	return modules.Result{Failed: true, Msg: msg, Data: map[string]any{"msg": msg}}
}
