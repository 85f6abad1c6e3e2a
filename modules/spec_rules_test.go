package modules

import (
	"errors"
	"strings"
	"testing"
)

// A rule across arguments refuses literal values when validated, waits for
// a templated one, and refuses it once bound, defaults included.
func TestRuleAcrossArguments(t *testing.T) {
	s := Spec{Name: "m", Args: []Arg{{Name: "probe", Type: Bool}, {Name: "update", Type: String, Default: "on_create"}},
		Rules: []Rule{{Args: []string{"probe", "update"}, Check: func(a Args) error {
			if a.Bool("probe") && a.String("update") != "always" {
				return errors.New("probe needs update: always")
			}
			return nil
		}}}}
	errs := s.Validate(map[string]any{"probe": true})
	var ae *ArgError
	if len(errs) != 1 || !errors.As(errs[0], &ae) || ae.Arg != "probe" || ae.Msg != "probe needs update: always" {
		t.Errorf("validate: %v, want the rule's error at probe", errs)
	}
	if errs := s.Validate(map[string]any{"probe": "{{ p }}"}); len(errs) != 0 {
		t.Errorf("validate of a templated probe: %v, want none before the run", errs)
	}
	if _, err := s.Bind(map[string]any{"probe": "yes"}); err == nil || !strings.Contains(err.Error(), "probe needs update: always") {
		t.Errorf("bind: %v, want the rule's error", err)
	}
	if _, err := s.Bind(map[string]any{"probe": true, "update": "always"}); err != nil {
		t.Errorf("bind: %v", err)
	}
}
