package runner

// VarNames lists the variables the scope defines (every layer's and the
// magic variables that are set), for lookup('varnames').
func (s *scope) VarNames() []string {
	var names []string
	for _, l := range s.layers {
		for k := range l {
			names = append(names, k)
		}
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
