// Package pyjson writes values the way Python's json module does where Go's
// encoding/json differs, so that ferry's JSON matches Ansible's.
package pyjson

import "math"

// Float returns f, or for a non-finite float the string Python's json
// module writes for it ("NaN", "Infinity", "-Infinity"): encoding/json
// refuses those floats, which would lose the whole document.
func Float(f float64) any {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return f
}
