// Package shellquote quotes words for a POSIX shell and splits a command line
// into words the way a POSIX shell would, without running one.
package shellquote

import (
	"errors"
	"strings"
)

// Quote quotes s for a POSIX shell. Words made only of safe characters stay
// as they are, so that command lines in plans and logs read naturally.
func Quote(s string) string {
	if s != "" && strings.IndexFunc(s, unsafeRune) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// PythonQuote is Python's shlex.quote, whose quoting of a single quote
// ('"'"') Ansible's messages and the quote filter show.
func PythonQuote(s string) string {
	if s != "" && strings.IndexFunc(s, unsafeRune) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}

func unsafeRune(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return false
	}
	return !strings.ContainsRune("-_./:=@%+,", r)
}

// Join quotes each argument and joins them into one shell command line.
func Join(argv []string) string {
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = Quote(a)
	}
	return strings.Join(quoted, " ")
}

// ErrUnclosedQuote is returned by Split for a line whose quote never closes.
var ErrUnclosedQuote = errors.New("no closing quotation")

// ErrTrailingBackslash is returned by Split for a line ending in a lone backslash.
var ErrTrailingBackslash = errors.New("no escaped character after a trailing backslash")

// Split breaks line into words exactly as Python's shlex.split does, which is
// what Ansible's command module uses, so that a free-form command means the
// same in ferry: blanks separate words, single quotes keep everything
// literally, inside double quotes a backslash escapes only \ and ", and
// outside quotes a backslash escapes any next character. Nothing is
// expanded: no variables, globs or substitutions, and # starts no comment.
func Split(line string) ([]string, error) {
	var words []string
	var word strings.Builder
	inWord := false
	runes := []rune(line)
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			if inWord {
				words = append(words, word.String())
				word.Reset()
				inWord = false
			}
		case r == '\\':
			if i+1 >= len(runes) {
				return nil, ErrTrailingBackslash
			}
			i++
			word.WriteRune(runes[i])
			inWord = true
		case r == '\'':
			end := indexRune(runes, i+1, '\'')
			if end < 0 {
				return nil, ErrUnclosedQuote
			}
			word.WriteString(string(runes[i+1 : end]))
			i, inWord = end, true
		case r == '"':
			end, err := readDoubleQuoted(runes, i+1, &word)
			if err != nil {
				return nil, err
			}
			i, inWord = end, true
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, word.String())
	}
	return words, nil
}

// readDoubleQuoted copies a double-quoted section starting at runes[start]
// into word and returns the index of its closing quote.
func readDoubleQuoted(runes []rune, start int, word *strings.Builder) (int, error) {
	for i := start; i < len(runes); i++ {
		switch r := runes[i]; r {
		case '"':
			return i, nil
		case '\\':
			if i+1 < len(runes) && (runes[i+1] == '\\' || runes[i+1] == '"') {
				i++
				word.WriteRune(runes[i])
				continue
			}
			word.WriteRune(r)
		default:
			word.WriteRune(r)
		}
	}
	return 0, ErrUnclosedQuote
}

func indexRune(runes []rune, from int, r rune) int {
	for i := from; i < len(runes); i++ {
		if runes[i] == r {
			return i
		}
	}
	return -1
}
