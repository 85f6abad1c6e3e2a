package runner

import "github.com/ferry-sh/ferry/internal/keyorder"

// VarNames lists the variables the scope defines (every layer's and the
// magic variables that are set), for lookup('varnames'), in the order
// Ansible's VariableManager merges them: the lowest precedence first, each
// layer's names in its order, a name keeping its first place; the magic
// variables last.
func (s *scope) VarNames() []string {
	var names []string
	for i := len(s.layers) - 1; i >= 0; i-- {
		names = append(names, keyorder.Keys(s.layers[i])...)
	}
	for _, name := range magicNames {
		if s.magic == nil {
			break
		}
		if _, ok := s.magic(name); ok {
			names = append(names, name)
		}
	}
	return names
}
