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

// Rules and groups name declared arguments; a value given by an alias is
// the argument's: a templated dest waits for the run, a literal one is
// checked, and the error is placed at dest, the name the task wrote.
func TestRulesAndGroupsSeeAliases(t *testing.T) {
	s := Spec{Name: "m",
		Args: []Arg{{Name: "path", Type: String, Aliases: []string{"dest"}}, {Name: "content", Type: String}, {Name: "src", Type: String, Aliases: []string{"from"}}},
		Rules: []Rule{{Args: []string{"path"}, Check: func(a Args) error {
			if p := a.String("path"); p != "" && !strings.HasPrefix(p, "/") {
				return errors.New("path must be absolute")
			}
			return nil
		}}},
		OneOf:     [][]string{{"path", "content"}},
		Exclusive: [][]string{{"content", "src"}}}
	if errs := s.Validate(map[string]any{"dest": "{{ where }}"}); len(errs) != 0 {
		t.Errorf("validate of a templated dest: %v, want none before the run", errs)
	}
	errs := s.Validate(map[string]any{"dest": "relative"})
	var ae *ArgError
	if len(errs) != 1 || !errors.As(errs[0], &ae) || ae.Arg != "dest" || ae.Msg != "path must be absolute" {
		t.Errorf("validate of dest: relative: %v, want the rule's error at dest", errs)
	}
	if _, err := s.Bind(map[string]any{"dest": "/etc/motd"}); err != nil {
		t.Errorf("bind of dest: %v (OneOf path, content is met by dest)", err)
	}
	errs = s.Validate(map[string]any{"content": "x", "from": "y"})
	if len(errs) != 1 || !errors.As(errs[0], &ae) || !strings.Contains(ae.Msg, "takes only one of content, src") {
		t.Errorf("content with src given as from: %v, want the exclusive group's error", errs)
	}
}
