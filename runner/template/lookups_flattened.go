package template

import (
	"fmt"
	"strings"
)

// flattened is community.general's lookup (with_flattened), as
// plugins/lookup/flattened.py 6.6.9 runs it: lists are spliced in at every
// depth, a list of one item stands for that item, and the string 'None' or
// 'null' ends the list it is in. A string item is templated again after
// strip() (listify_lookup_plugin_terms without convert_bare): a variable's
// name stays that name, and padding around a string is dropped.

func init() {
	lookupPlugins["flattened"] = lookupSpec{run: lookupFlattened}
}

func lookupFlattened(c *lookupCall, terms []any) ([]any, error) {
	return c.flatten(terms, 0)
}

func (c *lookupCall) flatten(terms []any, depth int) ([]any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("with_flattened: lists nested more than %d deep", maxDepth)
	}
	out := []any{}
	for _, term := range terms {
		term = onlyItem(term)
		if term == "None" || term == "null" {
			break
		}
		if s, ok := term.(string); ok {
			v, err := c.e.Render(strings.TrimSpace(s), c.s)
			if err != nil {
				return nil, err
			}
			if v != s {
				term = listify(v)
			}
		}
		list, ok := asList(term)
		if !ok {
			out = append(out, term)
			continue
		}
		flat, err := c.flatten(list, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, flat...)
	}
	return out, nil
}

// onlyItem is _check_list_of_one_list: [[x]] is x.
func onlyItem(term any) any {
	for {
		list, ok := asList(term)
		if !ok || len(list) != 1 {
			return term
		}
		term = list[0]
	}
}
