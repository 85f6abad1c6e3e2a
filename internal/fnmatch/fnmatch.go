// Package fnmatch matches names against shell globs as Python's fnmatch
// module does (Ansible's modules use it): unlike Go's path.Match, * and ?
// match any character, / included, and [!seq] is a negated set.
package fnmatch

import (
	"regexp"
	"strings"
)

// Translate is Python's fnmatch.translate: * any run, ? one character,
// [seq] and [!seq] character sets, everything else literal.
func Translate(glob string) string {
	var b strings.Builder
	b.WriteString(`^(?s:`)
	for i := 0; i < len(glob); i++ {
		switch c := glob[i]; c {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		case '[':
			j := i + 1
			if j < len(glob) && glob[j] == '!' {
				j++
			}
			if j < len(glob) && glob[j] == ']' {
				j++
			}
			for j < len(glob) && glob[j] != ']' {
				j++
			}
			if j >= len(glob) {
				b.WriteString(`\[`)
				continue
			}
			set := glob[i+1 : j]
			set = strings.NewReplacer(`\`, `\\`, `[`, `\[`).Replace(set)
			if strings.HasPrefix(set, "!") {
				set = "^" + set[1:]
			} else if strings.HasPrefix(set, "^") {
				set = `\` + set
			}
			b.WriteString("[" + set + "]")
			i = j
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`)$`)
	return b.String()
}

// Match reports whether name matches the glob pattern, as fnmatch.fnmatchcase.
func Match(name, pattern string) bool {
	re, err := regexp.Compile(Translate(pattern))
	return err == nil && re.MatchString(name)
}
