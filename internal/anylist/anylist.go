// Package anylist converts typed lists to the []any that templates, YAML
// values and registered results hold.
package anylist

// Of returns the items of list as a []any, in order.
func Of[T any](list []T) []any {
	out := make([]any, len(list))
	for i, v := range list {
		out[i] = v
	}
	return out
}
