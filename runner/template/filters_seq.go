package template

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/ferry-sh/ferry/internal/keyorder"
)

// Filters over sequences that Python's itertools, Jinja and Ansible provide
// (zip, product, groupby, batch...). Python returns iterators of tuples for
// several of them; ferry returns lists (tuples are lists here), which
// `| list` leaves as they are.

// maxCombinatorial bounds the items product, permutations and combinations
// may build, as range() is bounded.
const maxCombinatorial = maxRange

var errTooManyItems = fmt.Errorf("the result would have more than %d items", maxCombinatorial)

func seqFilters() map[string]filterSpec {
	return map[string]filterSpec{
		"zip":             {fn: fZip(false)},
		"zip_longest":     {fn: fZip(true)},
		"product":         {fn: fProduct},
		"permutations":    {fn: fPermutations},
		"combinations":    {fn: fCombinations},
		"subelements":     {fn: fSubelements},
		"batch":           {fn: fBatch},
		"slice":           {fn: fSlice},
		"groupby":         {fn: fGroupBy},
		"extract":         {fn: fExtract},
		"rekey_on_member": {fn: fRekeyOnMember},
		"random":          {fn: fRandom},
		"shuffle":         {fn: fShuffle},
	}
}

// iterables returns the filter's input and its positional arguments as
// lists: the iterables of zip and product.
func iterables(in any, a *fargs) ([][]any, error) {
	out := [][]any{}
	for _, v := range append([]any{in}, a.pos...) {
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		out = append(out, items)
	}
	return out, nil
}

// fZip is Python's zip (shortest input) or itertools.zip_longest (longest,
// padded with fillvalue).
func fZip(longest bool) filterFunc {
	return func(in any, a *fargs) (any, error) {
		names := []string{}
		if longest {
			names = append(names, "fillvalue")
		}
		if err := a.expect(-1, names...); err != nil {
			return nil, err
		}
		lists, err := iterables(in, a)
		if err != nil {
			return nil, err
		}
		n := len(lists[0])
		for _, l := range lists[1:] {
			if longest {
				n = max(n, len(l))
			} else {
				n = min(n, len(l))
			}
		}
		fill := a.or(-1, "fillvalue", nil)
		out := make([]any, n)
		for i := range out {
			tuple := make([]any, len(lists))
			for j, l := range lists {
				tuple[j] = fill
				if i < len(l) {
					tuple[j] = l[i]
				}
			}
			out[i] = tuple
		}
		return out, nil
	}
}

// fProduct is itertools.product(*iterables, repeat=1).
func fProduct(in any, a *fargs) (any, error) {
	if err := a.expect(-1, "repeat"); err != nil {
		return nil, err
	}
	lists, err := iterables(in, a)
	if err != nil {
		return nil, err
	}
	repeat, err := a.integer(-1, "repeat", 1)
	if err != nil {
		return nil, err
	}
	if repeat < 0 {
		return nil, errors.New("repeat argument cannot be negative")
	}
	pools := [][]any{}
	for range repeat {
		pools = append(pools, lists...)
	}
	total := 1
	for _, p := range pools {
		if total *= len(p); total > maxCombinatorial {
			return nil, errTooManyItems
		}
	}
	out := []any{[]any{}}
	for _, pool := range pools {
		next := make([]any, 0, len(out)*len(pool))
		for _, prefix := range out {
			for _, v := range pool {
				next = append(next, append(append([]any{}, prefix.([]any)...), v))
			}
		}
		out = next
	}
	return out, nil
}

// fPermutations is itertools.permutations(iterable, r=None), in Python's
// order (by position, lexicographically).
func fPermutations(in any, a *fargs) (any, error) {
	if err := a.expect(1, "r"); err != nil {
		return nil, err
	}
	items, err := iterate(in)
	if err != nil {
		return nil, err
	}
	r, err := a.integer(0, "r", len(items))
	if err != nil {
		return nil, err
	}
	if r < 0 {
		return nil, errors.New("r must be non-negative")
	}
	out := []any{}
	used := make([]bool, len(items))
	var walk func(prefix []any) error
	walk = func(prefix []any) error {
		if len(prefix) == r {
			if len(out) >= maxCombinatorial {
				return errTooManyItems
			}
			out = append(out, append([]any{}, prefix...))
			return nil
		}
		for i, v := range items {
			if used[i] {
				continue
			}
			used[i] = true
			err := walk(append(prefix, v))
			used[i] = false
			if err != nil {
				return err
			}
		}
		return nil
	}
	if r <= len(items) {
		if err := walk(make([]any, 0, r)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// fCombinations is itertools.combinations(iterable, r).
func fCombinations(in any, a *fargs) (any, error) {
	if err := a.expect(1, "r"); err != nil {
		return nil, err
	}
	items, err := iterate(in)
	if err != nil {
		return nil, err
	}
	if _, ok := a.get(0, "r"); !ok {
		return nil, errors.New("combinations() missing required argument 'r'")
	}
	r, err := a.integer(0, "r", 0)
	if err != nil {
		return nil, err
	}
	if r < 0 {
		return nil, errors.New("r must be non-negative")
	}
	out := []any{}
	var walk func(start int, prefix []any) error
	walk = func(start int, prefix []any) error {
		if len(prefix) == r {
			if len(out) >= maxCombinatorial {
				return errTooManyItems
			}
			out = append(out, append([]any{}, prefix...))
			return nil
		}
		for i := start; i < len(items); i++ {
			if err := walk(i+1, append(prefix, items[i])); err != nil {
				return err
			}
		}
		return nil
	}
	if r <= len(items) {
		if err := walk(0, make([]any, 0, r)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// fSubelements is Ansible's subelements filter: each element paired with
// each item of its list at the dotted path.
func fSubelements(in any, a *fargs) (any, error) {
	if err := a.expect(2, "subelements", "skip_missing"); err != nil {
		return nil, err
	}
	var elements []any
	if m, ok := asMap(in); ok {
		for _, k := range dictKeys(m) {
			elements = append(elements, m[k])
		}
	} else if l, ok := asList(in); ok {
		elements = l
	} else {
		return nil, errors.New("obj must be a list of dicts or a nested dict")
	}
	var path []any
	switch p := a.or(0, "subelements", nil).(type) {
	case string:
		path = anyStrings(strings.Split(p, "."))
	default:
		l, ok := asList(p)
		if !ok {
			return nil, errors.New("subelements must be a list or a string")
		}
		path = l
	}
	skipMissing := a.flag(1, "skip_missing")
	out := []any{}
	for _, el := range elements {
		values, err := subelementValues(el, path, skipMissing)
		if err != nil {
			return nil, err
		}
		for _, v := range values {
			out = append(out, []any{el, v})
		}
	}
	return out, nil
}

func subelementValues(el any, path []any, skipMissing bool) ([]any, error) {
	values := el
	for _, key := range path {
		if _, isMap := asMap(values); !isMap {
			return nil, fmt.Errorf("the key %s should point to a dictionary, got '%s'", pyStr(key), pyStr(values))
		}
		v, ok := lookupKey(values, key)
		if !ok {
			if skipMissing {
				return nil, nil
			}
			return nil, fmt.Errorf("could not find %s key in iterated item %s", pyRepr(key), pyRepr(values))
		}
		values = v
	}
	l, ok := values.([]any)
	if !ok {
		return nil, fmt.Errorf("the key %s should point to a list, got %s", pyRepr(pyStr(path[len(path)-1])), pyRepr(values))
	}
	return l, nil
}

func anyStrings(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// fBatch is Jinja's batch(linecount, fill_with=None).
func fBatch(in any, a *fargs) (any, error) {
	if err := a.expect(2, "linecount", "fill_with"); err != nil {
		return nil, err
	}
	items, err := iterate(in)
	if err != nil {
		return nil, err
	}
	n, err := a.integer(0, "linecount", 0)
	if err != nil {
		return nil, err
	}
	if n <= 0 {
		return nil, errors.New("batch() needs a positive linecount")
	}
	fill, hasFill := a.get(1, "fill_with")
	out := []any{}
	for lo := 0; lo < len(items); lo += n {
		chunk := append([]any{}, items[lo:min(lo+n, len(items))]...)
		for hasFill && fill != nil && len(chunk) < n {
			chunk = append(chunk, fill)
		}
		out = append(out, chunk)
	}
	return out, nil
}

// fSlice is Jinja's slice(slices, fill_with=None): the items in that many
// columns, the first ones one longer.
func fSlice(in any, a *fargs) (any, error) {
	if err := a.expect(2, "slices", "fill_with"); err != nil {
		return nil, err
	}
	items, err := iterate(in)
	if err != nil {
		return nil, err
	}
	n, err := a.integer(0, "slices", 0)
	if err != nil {
		return nil, err
	}
	if n <= 0 || n > maxCombinatorial {
		return nil, errors.New("slice() needs a positive number of slices")
	}
	fill, _ := a.get(1, "fill_with")
	per, extra := len(items)/n, len(items)%n
	out := []any{}
	offset := 0
	for i := range n {
		start := offset + i*per
		if i < extra {
			offset++
		}
		col := append([]any{}, items[start:offset+(i+1)*per]...)
		if fill != nil && i >= extra {
			col = append(col, fill)
		}
		out = append(out, col)
	}
	return out, nil
}

// groupTuple is one group of Jinja's groupby: [grouper, list], whose
// fields are also read as g.grouper and g.list.
type groupTuple []any

func (g groupTuple) field(name string) (any, bool) {
	switch name {
	case "grouper":
		return g[0], true
	case "list":
		return g[1], true
	}
	return nil, false
}

// fGroupBy is Jinja's groupby(attribute, default=None,
// case_sensitive=False): the items sorted by the attribute and grouped.
func fGroupBy(in any, a *fargs) (any, error) {
	if err := a.expect(1, "attribute", "default", "case_sensitive"); err != nil {
		return nil, err
	}
	items, err := iterate(in)
	if err != nil {
		return nil, err
	}
	attr, ok := a.get(0, "attribute")
	if !ok {
		return nil, errors.New("groupby() missing required argument 'attribute'")
	}
	def, hasDef := a.get(-1, "default")
	keyOf := func(v any, fold bool) (any, error) {
		k, err := attrPath(v, pyStr(attr))
		if _, undef := k.(*undefined); undef && hasDef {
			k = def
		}
		if s, isStr := k.(string); isStr && fold {
			k = strings.ToLower(s)
		}
		return k, err
	}
	fold := !a.flag(-1, "case_sensitive")
	keys := make([]any, len(items))
	for i, v := range items {
		if keys[i], err = keyOf(v, fold); err != nil {
			return nil, err
		}
		if err := defined(keys[i]); err != nil {
			return nil, err
		}
	}
	idx := sortedIndex(keys, false, &err)
	if err != nil {
		return nil, err
	}
	out := []any{}
	for i, j := range idx {
		if i == 0 || !equal(keys[idx[i-1]], keys[j]) {
			grouper, _ := keyOf(items[j], false)
			out = append(out, groupTuple{grouper, []any{}})
		}
		g := out[len(out)-1].(groupTuple)
		g[1] = append(g[1].([]any), items[j])
	}
	return out, nil
}

// sortedIndex is the stable order of keys (Python's sorted, reverse=),
// or an error in *errp for keys that do not compare.
func sortedIndex(keys []any, reverse bool, errp *error) []int {
	idx := make([]int, len(keys))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(x, y int) bool {
		c, err := compare(keys[idx[x]], keys[idx[y]])
		if err != nil && *errp == nil {
			*errp = err
		}
		if reverse {
			return c > 0
		}
		return c < 0
	})
	return idx
}

// fExtract is Ansible's extract: container[item], then [morekeys...].
func fExtract(in any, a *fargs) (any, error) {
	if err := a.expect(2, "container", "morekeys"); err != nil {
		return nil, err
	}
	container, ok := a.get(0, "container")
	if !ok {
		return nil, errors.New("extract() missing required argument 'container'")
	}
	keys := []any{in}
	if more, ok := a.get(1, "morekeys"); ok && more != nil {
		if l, isList := more.([]any); isList {
			keys = append(keys, l...)
		} else {
			keys = append(keys, more)
		}
	}
	v := container
	for _, k := range keys {
		var err error
		if v, err = hGet(v, k, "container"); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// fRekeyOnMember is Ansible's rekey_on_member: a dict of the items keyed by
// one of their members.
func fRekeyOnMember(in any, a *fargs) (any, error) {
	if err := a.expect(2, "key", "duplicates"); err != nil {
		return nil, err
	}
	key, _ := a.get(0, "key")
	dup, err := a.str(1, "duplicates", "error")
	if err != nil {
		return nil, err
	}
	if dup != "error" && dup != "overwrite" {
		return nil, fmt.Errorf("duplicates parameter to rekey_on_member has unknown value: %s", dup)
	}
	var items []any
	if m, ok := asMap(in); ok {
		for _, k := range dictKeys(m) {
			items = append(items, m[k])
		}
	} else if l, ok := asList(in); ok {
		items = l
	} else {
		return nil, errors.New("Type is not a valid list, set, or dict")
	}
	out := keyorder.NewBuilder(len(items))
	for _, item := range items {
		m, ok := asMap(item)
		if !ok {
			return nil, errors.New("List item is not a valid dict")
		}
		k, ok := lookupKey(m, key)
		if !ok {
			return nil, fmt.Errorf("Key %s was not found", pyStr(key))
		}
		if old, _ := out.Get(pyStr(k)); truthy(old) && dup == "error" {
			return nil, fmt.Errorf("Key %s is not unique, cannot correctly turn into dict", pyStr(k))
		}
		out.Put(pyStr(k), item)
	}
	return out.Map(), nil
}
