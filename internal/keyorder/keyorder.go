// Package keyorder remembers the insertion order of ferry's dicts.
//
// Ansible's dicts are Python dicts: they keep the order their keys were
// inserted in (a YAML mapping's order, a {'b': 1, 'a': 2} literal's,
// combine's), and that order shows wherever a user iterates a dict or
// prints it as text (dict2items, with_dict, to_json, "{{ d }}" in a
// string). ferry's values are map[string]any throughout (expr-lang, the
// modules and the runner read them as such), and Go maps keep no order.
// Rather than a second dict type that every consumer would have to know,
// the order lives beside the map: Set records a map's keys in order, Keys
// gives them back. A map whose order was never recorded (a module's result,
// a fact) gives its keys sorted, as ferry always did.
//
// The table is keyed by the map's identity and holds only a weak pointer
// to it, so a recorded map is still collected when nothing else uses it;
// entries of collected maps are swept as the table grows. Keys checks the
// recorded order against the map's current keys: keys deleted since are
// left out, keys added since come after the recorded ones, sorted.
package keyorder

import (
	"reflect"
	"slices"
	"sync"
	"unsafe"
	"weak"

	"github.com/ferry-sh/ferry/internal/dedupe"
)

// header stands for the runtime's map header, which a map value points to.
type header struct{ _ uintptr }

type entry struct {
	ref  weak.Pointer[header]
	keys []string
}

var (
	mu      sync.RWMutex
	table   = map[uintptr]entry{} // by address: a pointer key would keep the map alive
	swept   = 1024                // the table's size after the last sweep, at least 1024
	neverOn bool                  // never true: makes Set's map escape (see escape)
	sink    any
)

// escape makes m escape to the heap in every caller of Set, so that the map
// header a weak pointer refers to is never on a goroutine's stack.
func escape(m map[string]any) {
	if neverOn {
		sink = m
	}
}

func identity(m map[string]any) unsafe.Pointer { return reflect.ValueOf(m).UnsafePointer() }

// Set records keys as m's order. keys should be m's keys, each once (a
// key named again keeps its first place, as a Python dict's does).
func Set(m map[string]any, keys []string) {
	escape(m)
	if len(m) == 0 {
		return
	}
	if len(keys) != len(m) {
		keys = dedupe.Stable(keys)
	}
	p := identity(m)
	mu.Lock()
	defer mu.Unlock()
	table[uintptr(p)] = entry{ref: weak.Make((*header)(p)), keys: keys}
	if len(table) > 2*swept {
		sweep()
	}
}

// sweep drops the entries of maps that were collected (and of maps whose
// address was reused by a map that was not recorded).
func sweep() {
	for p, e := range table {
		if e.ref.Value() == nil {
			delete(table, p)
		}
	}
	swept = max(len(table), 1024)
}

// recorded returns m's recorded keys, or nil.
func recorded(m map[string]any) []string {
	if len(m) == 0 {
		return nil
	}
	p := identity(m)
	mu.RLock()
	defer mu.RUnlock()
	e, ok := table[uintptr(p)]
	if !ok || unsafe.Pointer(e.ref.Value()) != p {
		return nil
	}
	return e.keys
}

// Keys returns m's keys in insertion order where it is known.
func Keys(m map[string]any) []string {
	rec := recorded(m)
	out := make([]string, 0, len(m))
	seen := 0
	for _, k := range rec {
		if _, ok := m[k]; ok {
			out = append(out, k)
			seen++
		}
	}
	if seen == len(m) {
		return out
	}
	known := make(map[string]bool, len(out))
	for _, k := range out {
		known[k] = true
	}
	var rest []string
	for k := range m {
		if !known[k] {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}

// Copy returns a shallow copy of m with m's order.
func Copy(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	keys := Keys(m)
	for _, k := range keys {
		out[k] = m[k]
	}
	Set(out, keys)
	return out
}

// Builder makes a map in insertion order: a later Put of a key already there
// replaces its value and keeps its place, as in a Python dict.
type Builder struct {
	m    map[string]any
	keys []string
}

// NewBuilder starts a map with room for n keys.
func NewBuilder(n int) *Builder {
	return &Builder{m: make(map[string]any, n), keys: make([]string, 0, n)}
}

// Put sets key to v.
func (b *Builder) Put(key string, v any) {
	if _, ok := b.m[key]; !ok {
		b.keys = append(b.keys, key)
	}
	b.m[key] = v
}

// Get returns key's value so far.
func (b *Builder) Get(key string) (any, bool) {
	v, ok := b.m[key]
	return v, ok
}

// Map returns the map, its order recorded.
func (b *Builder) Map() map[string]any {
	Set(b.m, b.keys)
	return b.m
}

// Put sets m[key] to v as a Python dict's item assignment does: a key new
// to m comes after m's keys (its order recorded), a key already there keeps
// its place.
func Put(m map[string]any, key string, v any) {
	if _, had := m[key]; had {
		m[key] = v
		return
	}
	keys := Keys(m)
	m[key] = v
	Set(m, append(keys, key))
}
