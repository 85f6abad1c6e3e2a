package runner

import "github.com/ferry-sh/ferry/internal/keyorder"

// varsVar is the vars magic variable: every variable the task sees with
// its value as written (2.14 copies all_vars into it untemplated, so
// {{ vars.x }} of x: "{{ y }}" is that text), the magic variables over
// them, in combine_vars' order; the keywords' connection variables are
// not in it (PlayContext adds those after the copy).
func (s *scope) varsVar() map[string]any {
	out := keyorder.NewBuilder(64)
	for i := len(s.layers) - s.keywordLayers - 1; i >= 0; i-- {
		for _, k := range keyorder.Keys(s.layers[i]) {
			out.Put(k, s.layers[i][k])
		}
	}
	for _, name := range magicNames {
		if v, ok := s.magic(name); ok {
			out.Put(name, v)
		}
	}
	return out.Map()
}
