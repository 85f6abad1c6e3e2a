package runner

import (
	"github.com/ferry-sh/ferry/internal/keyorder"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/runner/template"
)

// textArgs is args with each list or mapping given to a string argument
// turned into Python's text of it, as ansible-core 2.14's check_type_str
// converts it (without a warning): `ping: {data: {a: 1}}` pings with
// "{'a': 1}". args is left as it is: a copy holds the change.
func textArgs(spec modules.Spec, args map[string]any) map[string]any {
	var out map[string]any
	for name, v := range args {
		switch v.(type) {
		case []any, map[string]any:
		default:
			continue
		}
		if a, ok := spec.Arg(name); !ok || a.Type != modules.String {
			continue
		}
		if out == nil {
			out = keyorder.Copy(args)
		}
		out[name] = template.PyText(v)
	}
	if out == nil {
		return args
	}
	return out
}
