package modules

// ArgsSchema is the JSON Schema (draft 2020-12) of a module's arguments,
// derived from its Spec: the same declaration that validation, `ferry doc`
// and masking read, so an editor's checks and ferry's agree. A templated
// value ("{{ x }}") is accepted wherever a value is, since only the run can
// render it.
func ArgsSchema(s Spec) map[string]any {
	out := objectSchema(s.Args, s.Dynamic)
	if s.FreeForm != "" {
		// `command: ls -l` is the free-form argument alone.
		return map[string]any{"anyOf": []any{map[string]any{"type": "string"}, out}}
	}
	return out
}

// objectSchema is the schema of a mapping of arguments (a module's, or a
// nested argument's fields).
func objectSchema(args []Arg, dynamic bool) map[string]any {
	props := map[string]any{}
	var required []string
	for _, a := range args {
		p := argSchema(a)
		props[a.Name] = p
		for _, al := range a.Aliases {
			props[al] = p
		}
		if a.Required && len(a.Aliases) == 0 {
			required = append(required, a.Name)
		}
	}
	out := map[string]any{"type": "object", "properties": props, "additionalProperties": dynamic}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}

// templated matches a value that only the run can render.
var templated = map[string]any{"type": "string", "pattern": `\{\{|\{%`}

func argSchema(a Arg) map[string]any {
	typed := map[string]any{}
	switch a.Type {
	case String:
		typed["type"] = []any{"string", "number", "boolean"} // 8 is "8" for a string argument
	case Int:
		typed["type"] = []any{"integer", "string"}
	case Bool:
		typed["type"] = []any{"boolean", "string"}
	case List:
		typed["type"] = []any{"array", "string"} // "a,b" is a list too
	case Map:
		typed["type"] = "object"
		if len(a.Fields) > 0 {
			typed = objectSchema(a.Fields, false)
		}
	}
	if a.Type == List && len(a.Fields) > 0 {
		typed["type"] = "array"
		typed["items"] = map[string]any{"anyOf": []any{objectSchema(a.Fields, false), templated}}
	}
	if len(a.Choices) > 0 {
		enum := make([]any, len(a.Choices))
		for i, c := range a.Choices {
			enum[i] = c
		}
		typed["enum"] = enum
	}
	if pattern, ok := kindPatterns[a.Kind]; ok && a.Type != List {
		typed["pattern"] = pattern
	}
	out := map[string]any{"anyOf": []any{typed, templated}}
	if a.Doc != "" {
		out["description"] = a.Doc
	}
	if a.Default != nil {
		out["default"] = a.Default
	}
	if a.Secret {
		out["writeOnly"] = true
	}
	return out
}

// kindPatterns are the kinds an editor can check by pattern; the rest
// (a CIDR's range, a mode's meaning) only `ferry validate` checks fully.
var kindPatterns = map[Kind]string{
	AbsPath:    `^/`,
	IPv4:       `^[0-9]{1,3}(\.[0-9]{1,3}){3}$`,
	IPv4CIDR:   `^[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}$`,
	PortNumber: `^[0-9]{1,5}$`,
	DNSName:    `^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?\.?$`,
	Seconds:    `^[0-9]+$`,
}
