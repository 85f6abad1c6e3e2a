package anylist

import "strings"

// Lines is Python's str.splitlines() as a []any: the stdout_lines and
// stderr_lines Ansible's action plugin adds beside a module's stdout and
// stderr (a line ends at \n, \r\n or \r; no empty last line).
func Lines(s string) []any { return Of(Split(s)) }

// Split is Python's str.splitlines() for the line ends text files have.
func Split(s string) []string {
	out := []string{}
	for len(s) > 0 {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			return append(out, s)
		}
		out = append(out, s[:i])
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i++
		}
		s = s[i+1:]
	}
	return out
}
