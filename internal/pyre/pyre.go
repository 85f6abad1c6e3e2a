// Package pyre carries Python's regular-expression conventions over to Go's
// regexp (RE2: linear time, so no input can make a match hang), for the
// places that take a Python pattern or replacement from a playbook: the
// regex filters, lineinfile, replace.
package pyre

import (
	"regexp"
	"strings"
)

// Compile compiles a Python pattern. Python's \Z (the very end) is Go's \z;
// look-arounds and backreferences, which RE2 lacks, are errors.
func Compile(pattern string) (*regexp.Regexp, error) {
	return regexp.Compile(strings.ReplaceAll(pattern, `\Z`, `\z`))
}

// Replacement converts a Python re.sub replacement (\1, \g<name>,
// \n) to Go's template syntax (${1}), escaping Go's '$'.
func Replacement(r string) string {
	var b strings.Builder
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case c == '$':
			b.WriteString("$$")
		case c == '\\' && i+1 < len(r):
			i++
			switch d := r[i]; {
			case isDigit(d):
				j := i
				for j < len(r) && isDigit(r[j]) && j-i < 2 {
					j++
				}
				b.WriteString("${" + r[i:j] + "}")
				i = j - 1
			case d == 'g' && i+1 < len(r) && r[i+1] == '<':
				end := strings.IndexByte(r[i:], '>')
				if end < 0 {
					b.WriteString(`\g`)
					continue
				}
				b.WriteString("${" + r[i+2:i+end] + "}")
				i += end
			case d == 'n':
				b.WriteByte('\n')
			case d == 't':
				b.WriteByte('\t')
			case d == '\\':
				b.WriteByte('\\')
			default:
				b.WriteByte('\\')
				b.WriteByte(d)
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
