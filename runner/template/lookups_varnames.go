package template

import (
	"fmt"
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

// scopeNames are the names s defines in the order Ansible merged them:
// the outermost (lowest precedence) scope's first, each name at its first
// place.
func scopeNames(s Scope) []string {
	var nested [][]string // innermost first
	for s != nil {
		switch x := s.(type) {
		case *layer:
			nested = append(nested, dictKeys(x.vars))
			s = x.parent
			continue
		case VarNamer:
			nested = append(nested, x.VarNames())
		}
		break
	}
	seen := map[string]bool{}
	var out []string
	for i := len(nested) - 1; i >= 0; i-- {
		for _, k := range nested[i] {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return out
}
