package argspec

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/ferry-sh/ferry/internal/keyorder"
	"github.com/ferry-sh/ferry/internal/pyrepr"
)

// Validate checks params against an argument spec (a role's
// meta/argument_specs.yml entry point's options, or validate_argument_spec's
// argument_spec) as ansible-core 2.14's ArgumentSpecValidator does
// (module_utils/common/arg_spec.py validate), and returns its error messages
// in its order: aliases, required, types, choices, the nested options, then
// the unsupported parameters. The values are not changed: the role's
// variables keep what was given, defaults are not set (as in Ansible).
func Validate(spec map[string]any, params map[string]any) []string {
	v := &validator{supported: map[string]string{}}
	params = keyorder.Copy(params)
	v.level(spec, params, nil)
	return v.finish()
}

type validator struct {
	errs        []string
	unsupported []string          // dotted names (conf.extra)
	supported   map[string]string // unsupported name -> its level's "a, b (alias)"
}

// level validates one mapping of parameters against one spec: the top one,
// or a nested option's (context names the options above it).
func (v *validator) level(spec, params map[string]any, context []string) {
	aliases, err := handleAliases(spec, params)
	if err != "" {
		v.errs = append(v.errs, err)
	}
	v.findUnsupported(spec, params, aliases, context)
	setDefaults(spec, params, false)
	v.checkRequired(spec, params, context)
	v.checkTypes(spec, params, context)
	v.checkChoices(spec, params, context)
	setDefaults(spec, params, true)
	v.subSpecs(spec, params, context)
}

// finish adds the unsupported parameters' message (arg_spec.py's last step).
func (v *validator) finish() []string {
	if len(v.unsupported) == 0 {
		return v.errs
	}
	names := slices.Clone(v.unsupported)
	sort.Strings(names)
	last := v.unsupported[len(v.unsupported)-1]
	return append(v.errs, fmt.Sprintf("%s. Supported parameters include: %s.", strings.Join(names, ", "), v.supported[last]))
}

// options is a spec's option names in the file's order (Python's dict order).
func options(spec map[string]any) []string { return keyorder.Keys(spec) }

func attrs(spec map[string]any, name string) map[string]any {
	m, _ := spec[name].(map[string]any)
	return m
}

// handleAliases gives each option the value of its alias when only the
// alias is given, and returns alias -> option (parameters.py _handle_aliases).
func handleAliases(spec, params map[string]any) (map[string]string, string) {
	out := map[string]string{}
	for _, name := range options(spec) {
		a := attrs(spec, name)
		if a["default"] != nil && truthy(a["required"]) {
			return map[string]string{}, "internal error: required and default are mutually exclusive for " + name
		}
		list, ok := a["aliases"].([]any)
		if a["aliases"] == nil {
			continue
		}
		if !ok {
			return map[string]string{}, "internal error: aliases must be a list or tuple"
		}
		for _, al := range list {
			alias := fmt.Sprint(al)
			out[alias] = name
			if val, given := params[alias]; given {
				keyorder.Put(params, name, val)
			}
		}
	}
	return out, ""
}

func (v *validator) findUnsupported(spec, params map[string]any, aliases map[string]string, context []string) {
	var names, aliasNames []string
	for _, name := range options(spec) {
		if _, isAlias := aliases[name]; !isAlias {
			names = append(names, name)
		}
	}
	for al := range aliases {
		aliasNames = append(aliasNames, al)
	}
	sort.Strings(names)
	sort.Strings(aliasNames)
	supported := strings.Join(names, ", ")
	if len(aliasNames) > 0 {
		supported += " (" + strings.Join(aliasNames, ", ") + ")"
	}
	for _, k := range keyorder.Keys(params) {
		_, isOption := spec[k]
		_, isAlias := aliases[k]
		if isOption || isAlias {
			continue
		}
		name := strings.Join(append(slices.Clone(context), k), ".")
		v.unsupported = append(v.unsupported, name)
		v.supported[name] = supported
	}
}

// setDefaults fills in the defaults of options not given; with all, the
// options without one too (as None), as _set_defaults does.
func setDefaults(spec, params map[string]any, all bool) {
	for _, name := range options(spec) {
		if _, given := params[name]; given {
			continue
		}
		if def := attrs(spec, name)["default"]; def != nil || all {
			keyorder.Put(params, name, def)
		}
	}
}

func (v *validator) checkRequired(spec, params map[string]any, context []string) {
	var missing []string
	for _, name := range options(spec) {
		if _, given := params[name]; !given && truthy(attrs(spec, name)["required"]) {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		v.errs = append(v.errs, foundIn("missing required arguments: "+strings.Join(missing, ", "), context, ""))
	}
}

// foundIn appends where a nested option is ("found in conf -> size"), as
// the checks of validation.py word it.
func foundIn(msg string, context []string, quote string) string {
	if len(context) == 0 {
		return msg
	}
	return fmt.Sprintf("%s found in %s%s%s", msg, quote, strings.Join(context, " -> "), quote)
}

func (v *validator) checkTypes(spec, params map[string]any, context []string) {
	for _, name := range options(spec) {
		value, given := params[name]
		if !given || value == nil {
			continue
		}
		a := attrs(spec, name)
		wanted := typeName(a["type"])
		converted, err := convert(wanted, value)
		if err != nil {
			msg := fmt.Sprintf("argument '%s' is of type %s", name, pyType(value))
			if len(context) > 0 {
				msg += fmt.Sprintf(" found in '%s'.", strings.Join(context, " -> "))
			}
			v.errs = append(v.errs, fmt.Sprintf("%s and we were unable to convert to %s: %s", msg, wanted, err))
			continue
		}
		params[name] = converted
		if a["elements"] != nil {
			params[name] = v.checkElements(name, wanted, typeName(a["elements"]), converted, context)
		}
	}
}

// checkElements converts each item of a list option to its elements' type
// (_validate_elements).
func (v *validator) checkElements(name, wanted, elemType string, value any, context []string) any {
	items, isList := value.([]any)
	if wanted != "list" || !isList {
		msg := fmt.Sprintf("Invalid type %s for option '%s'", wanted, pyrepr.Str(value))
		if len(context) > 0 {
			msg += fmt.Sprintf(" found in '%s'.", strings.Join(context, " -> "))
		}
		v.errs = append(v.errs, msg+", elements value check is supported only with 'list' type")
		return value
	}
	out := make([]any, 0, len(items))
	for _, item := range items {
		converted, err := convert(elemType, item)
		if err != nil {
			msg := fmt.Sprintf("Elements value for option '%s'", name)
			if len(context) > 0 {
				msg += fmt.Sprintf(" found in '%s'", strings.Join(context, " -> "))
			}
			v.errs = append(v.errs, fmt.Sprintf("%s is of type %s and we were unable to convert to %s: %s", msg, pyType(item), elemType, err))
			continue
		}
		out = append(out, converted)
	}
	return out
}

func (v *validator) checkChoices(spec, params map[string]any, context []string) {
	for _, name := range options(spec) {
		a := attrs(spec, name)
		if a["choices"] == nil {
			continue
		}
		choices, ok := a["choices"].([]any)
		if !ok {
			v.errs = append(v.errs, foundIn(fmt.Sprintf("internal error: choices for argument %s are not iterable: %s", name, pyrepr.Str(a["choices"])), context, ""))
			continue
		}
		value, given := params[name]
		if !given {
			continue
		}
		var texts []string
		for _, c := range choices {
			texts = append(texts, pyrepr.Str(c))
		}
		if list, isList := value.([]any); isList {
			var bad []string
			for _, item := range list {
				if !slices.ContainsFunc(choices, func(c any) bool { return pyEqual(c, item) }) {
					bad = append(bad, pyrepr.Str(item))
				}
			}
			if len(bad) > 0 {
				v.errs = append(v.errs, foundIn(fmt.Sprintf("value of %s must be one or more of: %s. Got no match for: %s", name, strings.Join(texts, ", "), strings.Join(bad, ", ")), context, ""))
			}
			continue
		}
		if !slices.ContainsFunc(choices, func(c any) bool { return pyEqual(c, value) }) {
			v.errs = append(v.errs, foundIn(fmt.Sprintf("value of %s must be one of: %s, got: %s", name, strings.Join(texts, ", "), pyrepr.Str(value)), context, ""))
		}
	}
}

// subSpecs validates the options of dict options and of lists of dicts
// (_validate_sub_spec), each mapping as a level of its own.
func (v *validator) subSpecs(spec, params map[string]any, context []string) {
	for _, name := range options(spec) {
		a := attrs(spec, name)
		wanted := typeName(a["type"])
		if wanted != "dict" && !(wanted == "list" && typeName(a["elements"]) == "dict") {
			continue
		}
		sub, _ := a["options"].(map[string]any)
		if truthy(a["apply_defaults"]) {
			if sub == nil {
				continue
			}
			if params[name] == nil {
				keyorder.Put(params, name, map[string]any{})
			}
		} else if sub == nil || params[name] == nil {
			continue
		}
		items, isList := params[name].([]any)
		if !isList {
			items = []any{params[name]}
		}
		here := append(slices.Clone(context), name)
		for _, item := range items {
			m, ok := item.(map[string]any)
			if !ok {
				v.errs = append(v.errs, fmt.Sprintf("value of '%s' must be of type dict or list of dicts", name))
				continue
			}
			v.level(sub, keyorder.Copy(m), here)
		}
	}
}

// typeName is an option's type as written, str when none is given.
func typeName(t any) string {
	if t == nil {
		return "str"
	}
	return fmt.Sprint(t)
}

func truthy(v any) bool {
	b, ok := v.(bool)
	return ok && b
}
