package runner

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ferry-sh/ferry/internal/keyorder"
	"github.com/ferry-sh/ferry/internal/suggest"
	"github.com/ferry-sh/ferry/runner/template"
	"gopkg.in/yaml.v3"
)

// Loops: `loop:` and Ansible's older `with_<lookup>:` forms, which run the
// lookup plugin of that name over the templated terms (with_items flattens
// one level, with_dict yields key/value pairs...), and loop_control.

// loopKeyword reads `loop:` or `with_X:`.
func (p *parser) loopKeyword(t *Task, key string, k, v *yaml.Node) {
	if t.Loop != nil {
		p.errorf(k, "keep one", "the task has two loops")
	}
	with := strings.TrimPrefix(key, "with_")
	if key != "loop" && !template.HasLookup(with) {
		p.errorf(k, suggest.Hint(with, template.LookupNames()), "%s: ferry has no lookup plugin %q (it supports: %s)", key, with, strings.Join(template.LookupNames(), ", "))
		return
	}
	t.Loop = p.value(v)
	if key != "loop" {
		t.LoopWith = with
		if t.Loop == nil {
			t.Loop = []any{}
		}
		return
	}
	switch t.Loop.(type) {
	case nil:
		t.Loop = []any{}
	case []any:
	case string:
		if !strings.Contains(t.Loop.(string), "{{") {
			p.errorf(v, "give a YAML list, or a template such as \"{{ my_list }}\"", "loop needs a list, not the string %q", v.Value)
		}
	default:
		p.errorf(v, "give a YAML list", "loop needs a list, not %s", kindName(v))
	}
}

var loopControlKeys = []string{"loop_var", "index_var", "label", "pause", "extended", "extended_allitems"}

func (p *parser) loopControl(t *Task, n *yaml.Node) {
	p.mapping(n, "loop_control", func(key string, k, v *yaml.Node) {
		switch key {
		case "loop_var":
			t.LoopVar = p.loopVarName(v)
		case "index_var":
			t.LoopIndexVar = p.identifier(v)
		case "label":
			t.LoopLabel = p.str(v)
		case "pause":
			t.LoopPause = p.seconds(v)
		case "extended":
			t.LoopExtended = p.boolean(v)
		case "extended_allitems":
			b := p.boolean(v)
			t.LoopNoAllItems = !b
		default:
			p.errorf(k, suggest.Hint(key, loopControlKeys), "unknown loop_control key %q", key)
		}
	})
}

// seconds reads a pause: a number of seconds, fractions allowed.
func (p *parser) seconds(n *yaml.Node) time.Duration {
	f, err := strconv.ParseFloat(n.Value, 64)
	if n.Kind != yaml.ScalarNode || err != nil || f < 0 || f > 86400 {
		p.errorf(n, "give a number of seconds such as 0.5", "loop_control.pause wants seconds, not %q", n.Value)
		return 0
	}
	return time.Duration(f * float64(time.Second))
}

// loopItems computes the items of a task's loop.
func (r *Runner) loopItems(sc *scope, t *Task) ([]any, error) {
	if t.LoopWith != "" {
		items, err := r.withItems(sc, t)
		if err != nil {
			return nil, fmt.Errorf("with_%s: %w", t.LoopWith, err)
		}
		return items, nil
	}
	v, err := sc.render(t.Loop)
	if err != nil {
		return nil, fmt.Errorf("loop: %w", err)
	}
	switch x := v.(type) {
	case []any:
		return x, nil
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out, nil
	case nil:
		return nil, nil
	}
	return nil, fmt.Errorf("loop needs a list, but got %s (%v)", typeWord(v), v)
}

// withItems runs with_X: the terms are templated, a single value becomes a
// one-item list, and lookup plugin X turns them into the items.
func (r *Runner) withItems(sc *scope, t *Task) ([]any, error) {
	raw := bareVariables(sc, t.LoopWith, t.Loop)
	var terms any
	var err error
	if t.LoopWith == "first_found" {
		terms = renderFound(sc, raw) // an undefined name falls through to the next candidate
	} else if terms, err = sc.render(raw); err != nil {
		return nil, err
	}
	list, isList := terms.([]any)
	if !isList {
		list = []any{terms}
	}
	items, err := sc.taint(func(ts template.Scope) (any, error) {
		return sc.engine.Query(t.LoopWith, list, ts, lookupSubdir(t.Module))
	})
	if err != nil {
		return nil, err
	}
	return items.([]any), nil
}

// lookupSubdir is where first_found looks for the task's module, as Ansible
// sets it: templates/ for template, vars/ for include_vars, else files/.
func lookupSubdir(module string) string {
	for _, sub := range []string{"template", "var", "file"} {
		if strings.Contains(module, sub) {
			return sub + "s"
		}
	}
	return "files"
}

// renderFound renders first_found's terms one by one, dropping those that
// fail (an undefined variable) instead of failing the task.
func renderFound(sc *scope, raw any) any {
	list, ok := raw.([]any)
	if !ok {
		v, err := sc.render(raw)
		if err != nil {
			return []any{}
		}
		return v
	}
	out := []any{}
	for _, term := range list {
		if v, err := sc.render(term); err == nil {
			out = append(out, v)
		}
	}
	return out
}

var bareName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)

// bareVariables turns `with_items: packages`, as playbooks written for
// Ansible 1.x say, into "{{ packages }}" when packages is a variable.
// (Ansible 2 loops over the literal string "packages" instead; see README.)
// For with_nested/together/cartesian each term may be bare; for
// with_subelements only the first (the second names a key).
func bareVariables(sc *scope, with string, raw any) any {
	convert := func(v any) any {
		s, ok := v.(string)
		if !ok || !bareName.MatchString(s) {
			return v
		}
		if _, defined, _ := sc.Lookup(strings.Split(s, ".")[0]); !defined {
			return v
		}
		return "{{ " + s + " }}"
	}
	list, isList := raw.([]any)
	switch {
	case !isList:
		return convert(raw)
	case with == "nested" || with == "together" || with == "cartesian":
		out := make([]any, len(list))
		for i, term := range list {
			out[i] = convert(term)
		}
		return out
	case with == "subelements" && len(list) > 0:
		return append([]any{convert(list[0])}, list[1:]...)
	}
	return raw
}

// loopVars are the variables one iteration sees: the item under its
// loop_var, index_var and, with extended, ansible_loop.
func loopVars(t *Task, items []any, i int) map[string]any {
	loopVar := t.loopVar()
	vars := map[string]any{loopVar: items[i], "ansible_loop_var": loopVar}
	if t.LoopIndexVar != "" {
		vars[t.LoopIndexVar] = i
		vars["ansible_index_var"] = t.LoopIndexVar
	}
	if t.LoopExtended {
		n := len(items)
		info := map[string]any{"index": i + 1, "index0": i, "first": i == 0, "last": i == n-1, "length": n,
			"revindex": n - i, "revindex0": n - i - 1}
		if !t.LoopNoAllItems {
			info["allitems"] = items
		}
		if i+1 < n {
			info["nextitem"] = items[i+1]
		}
		if i > 0 {
			info["previtem"] = items[i-1]
		}
		vars["ansible_loop"] = info
	}
	return vars
}

// loopVarNames are the variables an iteration defines, without values: what
// the checks of included tasks need to know before the loop runs.
func loopVarNames(t *Task) map[string]any {
	vars := loopVars(t, []any{nil}, 0)
	for k := range vars {
		vars[k] = nil
	}
	return vars
}

// recordLoopVars adds to an item's result what Ansible registers with it.
func recordLoopVars(data, vars map[string]any, t *Task) {
	for _, k := range []string{t.loopVar(), "ansible_loop_var", t.LoopIndexVar, "ansible_index_var", "ansible_loop"} {
		if v, ok := vars[k]; ok && k != "" {
			keyorder.Put(data, k, v)
		}
	}
}

func (t *Task) loopVar() string {
	if t.LoopVar == "" {
		return "item"
	}
	return t.LoopVar
}

// loopPause waits loop_control.pause between iterations; false when the
// run was cancelled meanwhile.
func loopPause(ctx context.Context, t *Task, i int) bool {
	if t.LoopPause <= 0 || i == 0 {
		return true
	}
	select {
	case <-ctx.Done():
		return false
	case <-time.After(t.LoopPause):
		return true
	}
}
