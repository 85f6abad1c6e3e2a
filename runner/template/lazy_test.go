package template

import (
	"errors"
	"strings"
	"testing"
)

// brokenScope fails, as the runner's scope does, when a template reads the
// variable "broken".
type brokenScope struct{ vars }

var errBroken = errors.New("variable broken: 'nope' is undefined")

func (b brokenScope) Lookup(name string) (any, bool, error) {
	if name == "broken" {
		return nil, false, errBroken
	}
	return b.vars.Lookup(name)
}

// TestLazyVariables: a variable in a branch that is not taken is never
// read, as in Jinja; one that is read reports its own error.
func TestLazyVariables(t *testing.T) {
	e := New(Options{})
	s := brokenScope{vars{"a": 1, "t": true}}
	for src, want := range map[string]any{
		"{{ a if true else broken }}":                        "1",
		"{{ broken if false else a }}":                       "1",
		"{{ false and broken }}":                             false,
		"{{ t or broken }}":                                  true,
		"{% if t %}{{ a }}{% else %}{{ broken }}{% endif %}": "1",
		"{{ a if t else broken.x.y }}":                       "1",
	} {
		got, err := e.Render(src, s)
		if err != nil || got != want {
			t.Errorf("Render(%q) = %#v, %v; want %#v", src, got, err, want)
		}
	}
	_, err := e.Render("{{ broken if t else a }}", s)
	if !errors.Is(err, errBroken) || strings.Contains(err.Error(), "internal error") {
		t.Errorf("a broken variable that is read: error %v, want the variable's own error", err)
	}
}
