package runner

import (
	"fmt"
	"maps"
	"slices"

	"github.com/ferry-sh/ferry/modules"
)

// checkModeSkip decides, from the module's declaration (Spec.Check) and never
// in the module, whether a task in check mode is skipped without running
// its module, and with which message. A task with check_mode: false is not
// in check mode (checkMode), so it runs for real.
func checkModeSkip(spec modules.Spec, check bool, args modules.Args) (itemOutcome, bool) {
	if !check {
		return itemOutcome{}, false
	}
	switch spec.Check {
	case modules.CheckSkip:
		// Ansible's AnsibleModule for a module without supports_check_mode.
		return checkSkipped(spec, fmt.Sprintf("remote module (%s) does not support check mode", spec.Name)), true
	case modules.CheckIfDecided:
		if slices.ContainsFunc(spec.Deciders, args.Has) {
			return itemOutcome{}, false // the module's probes decide; the gate plans
		}
		return checkSkipped(spec, fmt.Sprintf("%s cannot predict its effect in check mode", spec.Name)), true
	}
	return itemOutcome{}, false
}

// checkSkipped is the outcome of a task that check mode skips: the
// module's own registered fields (Spec.CheckSkipData), else msg.
func checkSkipped(spec modules.Spec, msg string) itemOutcome {
	data := map[string]any{"msg": msg}
	if spec.CheckSkipData != nil {
		data = maps.Clone(spec.CheckSkipData)
	}
	data["changed"], data["skipped"] = false, true
	msg, _ = data["msg"].(string)
	return itemOutcome{skipped: true, msg: msg, data: data}
}
