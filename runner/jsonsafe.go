package runner

import "github.com/ferry-sh/ferry/internal/pyjson"

// finiteEvent is e with every non-finite float of its results (Inf, NaN:
// `'nan' | float` makes one) written as the strings Python's json module
// writes for them ("Infinity", "-Infinity", "NaN"); encoding/json refuses
// such floats, which would lose the whole event.
func finiteEvent(e Event) Event {
	if e.Result != nil {
		e.Result = finiteValue(e.Result).(map[string]any)
	}
	e.Item = finiteValue(e.Item)
	if e.Items != nil {
		items := make([]Event, len(e.Items))
		for i, it := range e.Items {
			items[i] = finiteEvent(it)
		}
		e.Items = items
	}
	return e
}

// finiteValue copies v with its non-finite floats as strings; v itself is
// shared with registered variables and is not modified.
func finiteValue(v any) any {
	switch x := v.(type) {
	case float64:
		return pyjson.Float(x)
	case float32:
		return pyjson.Float(float64(x))
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = finiteValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = finiteValue(e)
		}
		return out
	}
	return v
}
