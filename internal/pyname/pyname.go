// Package pyname tells a valid variable name as ansible-core's isidentifier
// does (ansible/utils/vars.py): an ASCII Python identifier that is no Python
// keyword. register, vars keys, set_fact and set_stats take only those.
package pyname

// IsIdentifier reports whether s is an ASCII Python identifier that is no
// keyword of Python 3 (keyword.iskeyword: False, None and True among them).
func IsIdentifier(s string) bool {
	return IsASCIIName(s) && !keywords[s]
}

// IsASCIIName reports whether s is letters, digits and _, not starting with
// a digit: an ASCII Python identifier, keywords included.
func IsASCIIName(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

// keywords are Python 3.11's keyword.kwlist.
var keywords = map[string]bool{"False": true, "None": true, "True": true, "and": true, "as": true,
	"assert": true, "async": true, "await": true, "break": true, "class": true, "continue": true, "def": true,
	"del": true, "elif": true, "else": true, "except": true, "finally": true, "for": true, "from": true,
	"global": true, "if": true, "import": true, "in": true, "is": true, "lambda": true, "nonlocal": true,
	"not": true, "or": true, "pass": true, "raise": true, "return": true, "try": true, "while": true,
	"with": true, "yield": true}
