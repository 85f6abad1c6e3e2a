package template

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file follows Ansible's lib/ansible/parsing/splitter.py (split_args,
// parse_kv, join_args) and quoting.py (unquote), so that `key=value` module
// arguments and lookup terms split exactly as ansible-playbook splits them:
// on spaces, except inside quotes and inside {{ }}, {% %} and {# #}.

// SplitArgs splits s on whitespace, keeping quoted strings and Jinja blocks
// (which may hold spaces) in one piece, and newlines inside them as written.
func SplitArgs(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	sp := &argSplitter{}
	lines := strings.Split(s, "\n")
	for i, line := range lines {
		continued := sp.line(line)
		if len(lines) > 1 && i != len(lines)-1 && !continued {
			sp.appendToLast("\n")
		}
	}
	if sp.print > 0 || sp.block > 0 || sp.comment > 0 || sp.quote != 0 {
		return nil, fmt.Errorf("failed at splitting arguments, either an unbalanced jinja2 block or quotes: %s", s)
	}
	return sp.params, nil
}

type argSplitter struct {
	params                []string
	quote                 byte // the open quote character, 0 outside quotes
	print, block, comment int  // depths of {{ }}, {% %}, {# #}
}

func (sp *argSplitter) appendToLast(s string) {
	if len(sp.params) == 0 {
		sp.params = append(sp.params, "")
	}
	sp.params[len(sp.params)-1] += s
}

func (sp *argSplitter) inJinja() bool { return sp.print > 0 || sp.block > 0 || sp.comment > 0 }

// line handles one line's space-separated tokens; it reports a trailing
// line continuation (a lone backslash outside quotes).
func (sp *argSplitter) line(line string) (continued bool) {
	for idx, tok := range strings.Split(line, " ") {
		if tok == "" && idx != 0 { // runs of spaces are kept as written
			sp.appendToLast(" ")
			continue
		}
		if tok == `\` && sp.quote == 0 {
			continued = true
			continue
		}
		sp.token(idx, tok)
	}
	return continued
}

func (sp *argSplitter) token(idx int, tok string) {
	wasQuoted := sp.quote != 0
	sp.quote = quoteState(tok, sp.quote)
	quoted := sp.quote != 0
	appended := false
	switch {
	case quoted && !wasQuoted && !sp.inJinja():
		sp.params = append(sp.params, tok)
		appended = true
	case sp.inJinja() || quoted || wasQuoted:
		if idx == 0 && wasQuoted {
			sp.appendToLast(tok)
		} else if idx > 0 {
			sp.appendToLast(" " + tok)
		} else {
			sp.appendToLast(tok)
		}
		appended = true
	}
	for _, d := range []struct {
		depth       *int
		open, close string
	}{{&sp.print, "{{", "}}"}, {&sp.block, "{%", "%}"}, {&sp.comment, "{#", "#}"}} {
		before := *d.depth
		if n := strings.Count(tok, d.open) - strings.Count(tok, d.close); n != 0 {
			*d.depth = max(*d.depth+n, 0)
		}
		if *d.depth != before && !appended {
			sp.params = append(sp.params, tok)
			appended = true
		}
	}
	if !sp.inJinja() && !quoted && !appended && tok != "" {
		sp.params = append(sp.params, tok)
	}
}

// quoteState is splitter.py's _get_quote_state: the quote still open after
// tok, given the one open before it. A quote after a backslash is escaped.
func quoteState(tok string, quote byte) byte {
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if (c != '"' && c != '\'') || (i > 0 && tok[i-1] == '\\') {
			continue
		}
		switch quote {
		case 0:
			quote = c
		case c:
			quote = 0
		}
	}
	return quote
}

// KV is one key=value argument, in the order written.
type KV struct {
	Key, Value string
}

// ParseKV is Ansible's parse_kv: key=value words become KVs (values
// unquoted, escapes decoded); other words are joined into raw, the free-form
// text. checkRaw treats every key but the command modules' own options
// (creates, removes, chdir...) as free-form text, as Ansible does for
// command and shell.
func ParseKV(s string, checkRaw bool) (kvs []KV, raw string, err error) {
	words, err := SplitArgs(s)
	if err != nil {
		return nil, "", err
	}
	var rawParams []string
	for _, orig := range words {
		w := decodeEscapes(orig)
		pos := unescapedEquals(w)
		switch {
		case pos < 0 && strings.Contains(w, "="): // only escaped equals signs
			rawParams = append(rawParams, strings.ReplaceAll(w, `\=`, "="))
		case pos < 0:
			rawParams = append(rawParams, orig)
		case checkRaw && !commandOptions[w[:pos]]:
			rawParams = append(rawParams, orig)
		default:
			kvs = append(kvs, KV{Key: strings.TrimSpace(w[:pos]), Value: Unquote(strings.TrimSpace(w[pos+1:]))})
		}
	}
	return kvs, joinArgs(rawParams), nil
}

// commandOptions are the key=value options that command and shell take out
// of their free-form text (splitter.py's list).
var commandOptions = map[string]bool{"creates": true, "removes": true, "chdir": true, "executable": true,
	"warn": true, "stdin": true, "stdin_add_newline": true, "strip_empty_ends": true}

// unescapedEquals is the position of the first '=' after position 0 that
// no backslash precedes, or -1.
func unescapedEquals(w string) int {
	for pos := 1; pos < len(w); pos++ {
		if w[pos] == '=' && w[pos-1] != '\\' {
			return pos
		}
	}
	return -1
}

// joinArgs rebuilds free-form text from split words, keeping newlines.
func joinArgs(words []string) string {
	var b strings.Builder
	for _, w := range words {
		if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	return b.String()
}

// Unquote removes matching quotes around s (quoting.py's unquote).
func Unquote(s string) string {
	if len(s) > 1 && s[0] == s[len(s)-1] && (s[0] == '"' || s[0] == '\'') && s[len(s)-2] != '\\' {
		return s[1 : len(s)-1]
	}
	return s
}

var escapeSequence = regexp.MustCompile(`\\U[a-fA-F0-9]{8}|\\u[a-fA-F0-9]{4}|\\x[a-fA-F0-9]{2}|\\N\{[^}]+\}|\\[\\'"abfnrtv]`)

// decodeEscapes decodes Python escape sequences in s, as splitter.py's
// _decode_escapes does before looking for '='.
func decodeEscapes(s string) string {
	return escapeSequence.ReplaceAllStringFunc(s, func(m string) string {
		switch m[1] {
		case 'U', 'u', 'x':
			n, err := strconv.ParseUint(m[2:], 16, 32)
			if err != nil || (m[1] != 'x' && !utf8.ValidRune(rune(n))) {
				return m
			}
			return string(rune(n))
		case 'N':
			return m // Unicode names are not decoded
		}
		return map[byte]string{'\\': `\`, '\'': `'`, '"': `"`, 'a': "\a", 'b': "\b", 'f': "\f",
			'n': "\n", 'r': "\r", 't': "\t", 'v': "\v"}[m[1]]
	})
}
