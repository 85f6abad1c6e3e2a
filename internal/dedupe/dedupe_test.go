package dedupe

import (
	"slices"
	"testing"
)

func TestStableKeepsFirstOccurrences(t *testing.T) {
	in := []string{"b", "a", "b", "c", "a"}
	got := Stable(in)
	if want := []string{"b", "a", "c"}; !slices.Equal(got, want) {
		t.Fatalf("Stable(%v) = %v, want %v", in, got, want)
	}
	if !slices.Equal(in, []string{"b", "a", "b", "c", "a"}) {
		t.Fatalf("the input changed: %v", in)
	}
}
