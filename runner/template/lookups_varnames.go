package template

import (
	"fmt"
	"maps"
	"slices"
)

// The varnames lookup lists the names of the variables a task sees that
// match regular expressions, as lib/ansible/plugins/lookup/varnames.py.

func init() {
	lookupPlugins["varnames"] = lookupSpec{run: lookupVarnames}
}

// VarNamer is a Scope that can list its variables' names.
type VarNamer interface {
	VarNames() []string
}

func lookupVarnames(c *lookupCall, terms []any) ([]any, error) {
	names := scopeNames(c.s)
	out := []any{}
	for _, t := range terms {
		term, ok := t.(string)
		if !ok {
			return nil, fmt.Errorf("Invalid setting identifier, \"%s\" is not a string, it is a %s", pyStr(t), typeName(t))
		}
		re, err := compileRegex(term, false, false)
		if err != nil {
			return nil, fmt.Errorf("Unable to use \"%s\" as a search parameter: %v", term, err)
		}
		for _, name := range names {
			if re.MatchString(name) {
				out = append(out, name)
			}
		}
	}
	return out, nil
}

// scopeNames are the names s defines, in order (Go maps keep no insertion
// order, so names are sorted where Ansible lists them as it merged them).
func scopeNames(s Scope) []string {
	set := map[string]bool{}
	for s != nil {
		switch x := s.(type) {
		case *layer:
			for k := range x.vars {
				set[k] = true
			}
			s = x.parent
			continue
		case VarNamer:
			for _, k := range x.VarNames() {
				set[k] = true
			}
		}
		break
	}
	return slices.Sorted(maps.Keys(set))
}
