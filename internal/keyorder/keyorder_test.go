package keyorder

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
)

func TestKeysInInsertionOrder(t *testing.T) {
	b := NewBuilder(3)
	b.Put("zeta", 1)
	b.Put("alpha", 2)
	b.Put("mid", 3)
	b.Put("zeta", 4) // keeps its place
	m := b.Map()
	if got := Keys(m); !slices.Equal(got, []string{"zeta", "alpha", "mid"}) || m["zeta"] != 4 {
		t.Fatalf("keys %v, zeta %v", got, m["zeta"])
	}
	delete(m, "alpha")
	m["b"], m["a"] = 1, 1
	if got := Keys(m); !slices.Equal(got, []string{"zeta", "mid", "a", "b"}) {
		t.Errorf("after a delete and two adds: %v", got)
	}
	if got := Keys(Copy(m)); !slices.Equal(got, []string{"zeta", "mid", "a", "b"}) {
		t.Errorf("copy: %v", got)
	}
	if got := Keys(map[string]any{"b": 1, "a": 2}); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("a map never recorded is sorted: %v", got)
	}
}

// Recorded maps are still collected, and their entries swept: the table
// stays the size of the maps alive.
func TestTableBounded(t *testing.T) {
	keep := []map[string]any{}
	for i := range 100_000 {
		b := NewBuilder(2)
		b.Put("y", i)
		b.Put("x", i)
		m := b.Map()
		if i%1000 == 0 {
			keep = append(keep, m)
		}
		if i%10_000 == 0 {
			runtime.GC()
		}
	}
	runtime.GC()
	mu.Lock()
	sweep()
	n := len(table)
	mu.Unlock()
	if n > 1000 {
		t.Errorf("%d entries for %d maps alive", n, len(keep))
	}
	for _, m := range keep {
		if got := fmt.Sprint(Keys(m)); got != "[y x]" {
			t.Fatalf("a kept map's order: %s", got)
		}
	}
}

func TestPutAppendsNewKeysInOrder(t *testing.T) {
	m := map[string]any{"b": 1, "a": 2} // never recorded: sorted
	Put(m, "z", 3)
	Put(m, "c", 4)
	Put(m, "a", 5) // already there: keeps its place
	if got := Keys(m); !slices.Equal(got, []string{"a", "b", "z", "c"}) || m["a"] != 5 {
		t.Errorf("keys %v, a %v", got, m["a"])
	}
}
