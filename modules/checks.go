package modules

import (
	"fmt"
	"strings"
)

// The value checks of the smaller modules, declared on their arguments (see
// Arg.Check) so that they run before anything does. Each message says what to
// give instead.

// checkNotEmpty refuses an empty string.
func checkNotEmpty(name string) func(any) error {
	return func(v any) error {
		if strings.TrimSpace(fmt.Sprint(v)) == "" {
			return fmt.Errorf("%s is empty; give a value or leave the argument out", name)
		}
		return nil
	}
}

// ToStrings formats every item of a list argument as a string.
func ToStrings(items []any) []string {
	var out []string
	for _, v := range items {
		out = append(out, fmt.Sprint(v))
	}
	return out
}
