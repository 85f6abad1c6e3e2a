// Package dedupe drops repeated items from a slice, keeping the first of
// each in place (slices.Compact needs sorted input; order matters here:
// dict keys and host patterns keep the order they were written in).
package dedupe

// Stable returns s's items without repeats, in first-seen order, in a new
// slice (s is not changed).
func Stable[T comparable](s []T) []T {
	seen := make(map[T]bool, len(s))
	out := s[:0:0]
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
