package runner

import (
	"slices"

	"github.com/ferry-sh/ferry/internal/keyorder"
	"github.com/ferry-sh/ferry/modules"
)

// A registered result is a Python dict in Ansible, and its key order shows
// wherever a user walks it (to_json, keys(), "{{ r }}" in text). The order
// is the module's dict (Spec.Returns), then what TaskExecutor adds to it
// when missing.

// The keys the runner adds after the module's, in the order Ansible's do:
// a module's own msg and skipped (ferry's Result fields), then failed and
// changed, set by TaskExecutor when the module left them out.
var (
	resultTail = []string{"msg", "skipped", "unreachable", "failed", "changed"}
	// errorTail is fail_json's order (failed, then msg) for a module that
	// ended in an error.
	errorTail = []string{"failed", "msg", "unreachable", "skipped", "changed"}
)

// orderResult records data's key order: the keys of spec.Returns that the
// module set (changed always, which the gate decides, unless the module
// ended in an error; failed when the module failed), then the module's
// other keys (in module's recorded order, else sorted), then tail.
func orderResult(spec modules.Spec, module map[string]any, failed, errored bool, data map[string]any, tail []string) {
	keys := make([]string, 0, len(data))
	placed := make(map[string]bool, len(data))
	add := func(k string) {
		if _, ok := data[k]; ok && !placed[k] {
			placed[k] = true
			keys = append(keys, k)
		}
	}
	for _, k := range spec.Returns {
		// A module's error is fail_json without changed: TaskExecutor
		// adds it last (errorTail).
		if _, set := module[k]; set || (k == "changed" && !errored) || (k == "failed" && failed) {
			add(k)
		}
	}
	for _, k := range keyorder.Keys(module) {
		if !slices.Contains(tail, k) {
			add(k)
		}
	}
	for _, k := range tail {
		add(k)
	}
	for _, k := range keyorder.Keys(data) {
		add(k)
	}
	keyorder.Set(data, keys)
}

// ordered makes a result from key/value pairs, in their order.
func ordered(pairs ...any) map[string]any {
	b := keyorder.NewBuilder(len(pairs) / 2)
	for i := 0; i+1 < len(pairs); i += 2 {
		b.Put(pairs[i].(string), pairs[i+1])
	}
	return b.Map()
}
