package template

import "fmt"

// loopState is what Jinja's LoopContext shares across a loop's iterations.
type loopState struct {
	items []any
	depth int // 1 for the outer loop, 2 inside loop(...) of a recursive one
	// changed() remembers the value it was last given
	last        any
	changedOnce bool
	recurse     func(items any) (any, error) // nil unless the loop is recursive
}

// loopVar is Jinja's loop variable at one iteration.
type loopVar struct {
	*loopState
	i int
}

func (lv *loopVar) field(key any) (any, bool) {
	name, ok := key.(string)
	if !ok {
		return nil, false
	}
	n, i := len(lv.items), lv.i
	switch name {
	case "index":
		return i + 1, true
	case "index0":
		return i, true
	case "revindex":
		return n - i, true
	case "revindex0":
		return n - i - 1, true
	case "first":
		return i == 0, true
	case "last":
		return i == n-1, true
	case "length":
		return n, true
	case "depth":
		return lv.depth, true
	case "depth0":
		return lv.depth - 1, true
	case "previtem":
		if i > 0 {
			return lv.items[i-1], true
		}
		return &undefined{name: "loop", msg: "there is no previous item"}, true
	case "nextitem":
		if i < n-1 {
			return lv.items[i+1], true
		}
		return &undefined{name: "loop", msg: "there is no next item"}, true
	case "cycle":
		return &callable{name: "cycle", fn: lv.cycle}, true
	case "changed":
		return &callable{name: "changed", fn: lv.changed}, true
	}
	return nil, false
}

func (lv *loopVar) cycle(args []any, _ []kwArg) (any, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("no items for cycling given")
	}
	return args[lv.i%len(args)], nil
}

func (lv *loopVar) changed(args []any, _ []kwArg) (any, error) {
	v := any(args)
	if lv.changedOnce && equal(v, lv.last) {
		return false, nil
	}
	lv.last, lv.changedOnce = v, true
	return true, nil
}

// call is loop(items) in a recursive loop: the loop's body over items,
// one level deeper.
func (lv *loopVar) call(args []any, kw []kwArg) (any, error) {
	if lv.recurse == nil {
		return nil, fmt.Errorf("tried to call a non-recursive loop: add 'recursive' to its {%% for %%}")
	}
	if len(args) != 1 || len(kw) > 0 {
		return nil, fmt.Errorf("loop() takes exactly one argument, the items to loop over")
	}
	return lv.recurse(args[0])
}
