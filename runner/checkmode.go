package runner

import (
	"fmt"
	"slices"

	"github.com/ferry-sh/ferry/internal/keyorder"

	"github.com/ferry-sh/ferry/modules"
)

// checkModeSkip decides, from the module's declaration (Spec.Check) and never
// in the module, whether a task in check mode is skipped without running
// its module, and with which message. A task with check_mode: false is not
// in check mode (checkMode), so it runs for real.
func checkModeSkip(mod modules.Module, spec modules.Spec, check bool, args modules.Args) (itemOutcome, bool) {
	if !check {
		return itemOutcome{}, false
	}
	switch spec.Check {
	case modules.CheckSkip:
		// Ansible's AnsibleModule for a module without supports_check_mode.
		return checkSkipped(mod, spec, args, fmt.Sprintf("remote module (%s) does not support check mode", spec.Name)), true
	case modules.CheckIfDecided:
		if slices.ContainsFunc(spec.Deciders, args.Has) {
			return itemOutcome{}, false // the module's probes decide; the gate plans
		}
		return checkSkipped(mod, spec, args, fmt.Sprintf("%s cannot predict its effect in check mode", spec.Name)), true
	}
	return itemOutcome{}, false
}

// checkSkipped is the outcome of a task that check mode skips: what the
// module registers then (CheckSkipper, Spec.CheckSkipData), else
// AnsibleModule's exit_json(skipped=True, msg=...); TaskExecutor adds
// failed and changed.
func checkSkipped(mod modules.Module, spec modules.Spec, args modules.Args, msg string) itemOutcome {
	var data map[string]any
	switch s, ok := mod.(modules.CheckSkipper); {
	case ok:
		data = s.CheckSkipped(args)
		orderResult(spec, data, false, false, data, resultTail)
		keyorder.Put(data, "failed", false)
		return itemOutcome{skipped: true, msg: stringField(data, "msg"), data: data}
	case spec.CheckSkipData != nil: // an action plugin's skip: skipped first
		data = ordered("skipped", true)
		for _, k := range keyorder.Keys(spec.CheckSkipData) {
			keyorder.Put(data, k, spec.CheckSkipData[k])
		}
	default:
		data = ordered("skipped", true, "msg", msg)
	}
	keyorder.Put(data, "skipped", true)
	keyorder.Put(data, "failed", false)
	keyorder.Put(data, "changed", false)
	msg, _ = data["msg"].(string)
	return itemOutcome{skipped: true, msg: msg, data: data}
}
