package template

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// wordwrap (Jinja's do_wordwrap over Python's textwrap.wrap) and urlsplit
// (Ansible's filter over Python's urllib.parse.urlsplit).

func wrapURLFilters() map[string]filterSpec {
	return map[string]filterSpec{
		"wordwrap": {fn: fWordwrap},
		"urlsplit": {fn: fURLSplit},
	}
}

// fWordwrap is wordwrap(width=79, break_long_words=True, wrapstring=None,
// break_on_hyphens=True): each line of the text wrapped on its own, the
// wrapped lines joined with wrapstring (a newline by default).
func fWordwrap(in any, a *fargs) (any, error) {
	if err := a.expect(4, "width", "break_long_words", "wrapstring", "break_on_hyphens"); err != nil {
		return nil, err
	}
	w, err := a.integer(0, "width", 79)
	if err != nil {
		return nil, err
	}
	if w <= 0 {
		return nil, fmt.Errorf("invalid width %d (must be > 0)", w)
	}
	sep, err := a.str(2, "wrapstring", "\n")
	if err != nil {
		return nil, err
	}
	tw := textWrapper{width: w, breakLong: truthy(a.or(1, "break_long_words", true)), hyphens: truthy(a.or(3, "break_on_hyphens", true))}
	text, ok := in.(string)
	if !ok {
		return nil, fmt.Errorf("'%s' object has no attribute 'splitlines'", typeName(in))
	}
	lines := pySplitLines(text)
	for i, l := range lines {
		lines[i] = strings.Join(tw.wrap(l), sep)
	}
	return strings.Join(lines, sep), nil
}

// TextWrap is Python's textwrap.wrap(text, width) with its defaults: tabs
// expanded, each whitespace character made a space, long words and
// hyphenated words broken (Ansible's Display.warning wraps with it).
func TextWrap(text string, width int) []string {
	text = pyExpandTabs(text, 8)
	text = strings.Map(func(r rune) rune {
		if isWrapSpace(r) {
			return ' '
		}
		return r
	}, text)
	return textWrapper{width: width, breakLong: true, hyphens: true}.wrap(text)
}

// textWrapper is textwrap.TextWrapper with expand_tabs and
// replace_whitespace off, as Jinja sets them, and drop_whitespace on.
type textWrapper struct {
	width              int
	breakLong, hyphens bool
}

func (tw textWrapper) wrap(text string) []string {
	chunks := splitChunks([]rune(text), tw.hyphens) // reversed: the next chunk is last
	var lines []string
	for len(chunks) > 0 {
		if len(lines) > 0 && isBlank(chunks[len(chunks)-1]) {
			chunks = chunks[:len(chunks)-1]
		}
		var line [][]rune
		n := 0
		for len(chunks) > 0 && n+len(chunks[len(chunks)-1]) <= tw.width {
			line = append(line, chunks[len(chunks)-1])
			n += len(chunks[len(chunks)-1])
			chunks = chunks[:len(chunks)-1]
		}
		if len(chunks) > 0 && len(chunks[len(chunks)-1]) > tw.width {
			line = tw.longWord(&chunks, line, n)
		}
		if len(line) > 0 && isBlank(line[len(line)-1]) {
			line = line[:len(line)-1]
		}
		if len(line) > 0 {
			var b strings.Builder
			for _, c := range line {
				b.WriteString(string(c))
			}
			lines = append(lines, b.String())
		}
	}
	return lines
}

// longWord is _handle_long_word: a word longer than the width is cut to
// fill the line (after its last hyphen that fits, with break_on_hyphens),
// or put alone on its line when long words are not broken.
func (tw textWrapper) longWord(chunks *[][]rune, line [][]rune, n int) [][]rune {
	last := len(*chunks) - 1
	chunk := (*chunks)[last]
	if !tw.breakLong {
		if len(line) == 0 {
			*chunks = (*chunks)[:last]
			return append(line, chunk)
		}
		return line
	}
	end := tw.width - n // the width is at least 1
	if tw.hyphens && len(chunk) > end {
		if h := lastIndexRune(chunk[:end], '-'); h > 0 && strings.Trim(string(chunk[:h]), "-") != "" {
			end = h + 1
		}
	}
	(*chunks)[last] = chunk[end:]
	return append(line, chunk[:end])
}

func lastIndexRune(rs []rune, r rune) int {
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i] == r {
			return i
		}
	}
	return -1
}

func isBlank(c []rune) bool { return strings.TrimSpace(string(c)) == "" }

// isWrapSpace is textwrap's whitespace: \t\n\v\f\r and space only.
func isWrapSpace(r rune) bool { return strings.ContainsRune("\t\n\v\f\r ", r) }

// isLetter is textwrap's letter, [^\d\W]: a word character but a digit.
func isLetter(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsMark(r)
}

// isWordPunct is textwrap's word_punct, [\w!"'&.,?].
func isWordPunct(r rune) bool {
	return isLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("!\"'&.,?", r)
}

// splitChunks is TextWrapper._split: whitespace runs and words, a
// hyphenated word split after its hyphens (wordsep_re) or only at
// whitespace (wordsep_simple_re); returned in reverse order.
func splitChunks(t []rune, hyphens bool) [][]rune {
	var out [][]rune
	for i := 0; i < len(t); {
		j := i + 1
		switch {
		case isWrapSpace(t[i]):
			for j < len(t) && isWrapSpace(t[j]) {
				j++
			}
		case hyphens && isEmDash(t, i):
			for t[j] == '-' {
				j++
			}
		case hyphens:
			j = wordEnd(t, i)
		default:
			for j < len(t) && !isWrapSpace(t[j]) {
				j++
			}
		}
		out = append(out, t[i:j])
		i = j
	}
	for a, b := 0, len(out)-1; a < b; a, b = a+1, b-1 {
		out[a], out[b] = out[b], out[a]
	}
	return out
}

// isEmDash: two or more hyphens at i after a word_punct and before a word
// character.
func isEmDash(t []rune, i int) bool {
	if i == 0 || !isWordPunct(t[i-1]) {
		return false
	}
	j := i
	for j < len(t) && t[j] == '-' {
		j++
	}
	return j-i >= 2 && j < len(t) && (isLetter(t[j]) || unicode.IsDigit(t[j]))
}

// wordEnd is where the lazy word of wordsep_re starting at i stops: after a
// hyphen between letters, before an em-dash, or at whitespace or the end.
func wordEnd(t []rune, i int) int {
	for j := i + 1; j <= len(t); j++ {
		c := t[j-1]
		if c == '-' && hyphenBreak(t, j-1) {
			return j
		}
		if j == len(t) || isWrapSpace(t[j]) {
			return j
		}
		if isWordPunct(c) && isEmDash(t, j) {
			return j
		}
	}
	return len(t)
}

// hyphenBreak: the hyphen at h follows two letters (or letter-hyphen-letter)
// and comes before a letter, an optional hyphen and a letter.
func hyphenBreak(t []rune, h int) bool {
	before := h >= 2 && isLetter(t[h-1]) && isLetter(t[h-2]) ||
		h >= 3 && isLetter(t[h-1]) && t[h-2] == '-' && isLetter(t[h-3])
	if !before || h+1 >= len(t) || !isLetter(t[h+1]) {
		return false
	}
	k := h + 2
	if k < len(t) && t[k] == '-' {
		k++
	}
	return k < len(t) && isLetter(t[k])
}

// urlFields are the fields of Python's SplitResult that urlsplit returns.
var urlFields = []string{"fragment", "hostname", "netloc", "password", "path", "port", "query", "scheme", "username"}

// fURLSplit is Ansible's urlsplit(query=”): the URL's parts as a dict, or
// the one part query names.
func fURLSplit(in any, a *fargs) (any, error) {
	if err := a.expect(1, "query"); err != nil {
		return nil, err
	}
	query, err := a.str(0, "query", "")
	if err != nil {
		return nil, err
	}
	parts, err := pyURLSplit(pyStr(in))
	if err != nil {
		return nil, err
	}
	if query == "" {
		return parts, nil
	}
	v, ok := parts[query]
	if !ok {
		return nil, fmt.Errorf("urlsplit: unknown URL component: %s", query)
	}
	return v, nil
}

// pyURLSplit is urllib.parse.urlsplit with SplitResult's properties.
func pyURLSplit(url string) (map[string]any, error) {
	url = strings.TrimLeft(url, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\v\f\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
	url = strings.NewReplacer("\t", "", "\r", "", "\n", "").Replace(url)
	scheme, netloc, query, fragment := "", "", "", ""
	if i := strings.IndexByte(url, ':'); i > 0 && isSchemeStart(url[0]) && strings.Trim(url[:i], schemeChars) == "" {
		scheme, url = strings.ToLower(url[:i]), url[i+1:]
	}
	if strings.HasPrefix(url, "//") {
		end := len(url)
		if i := strings.IndexAny(url[2:], "/?#"); i >= 0 {
			end = i + 2
		}
		netloc, url = url[2:end], url[end:]
		if strings.Contains(netloc, "[") != strings.Contains(netloc, "]") {
			return nil, fmt.Errorf("Invalid IPv6 URL")
		}
	}
	url, fragment, _ = strings.Cut(url, "#")
	url, query, _ = strings.Cut(url, "?")
	out := map[string]any{"scheme": scheme, "netloc": netloc, "path": url, "query": query, "fragment": fragment}
	out["username"], out["password"] = urlUserinfo(netloc)
	host, port := urlHostinfo(netloc)
	out["hostname"] = nil
	if host != "" {
		name, zone, hasZone := strings.Cut(host, "%")
		out["hostname"] = strings.ToLower(name)
		if hasZone {
			out["hostname"] = strings.ToLower(name) + "%" + zone
		}
	}
	p, err := urlPort(port)
	out["port"] = p
	return out, err
}

const schemeChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-."

func isSchemeStart(c byte) bool { return c < utf8.RuneSelf && unicode.IsLetter(rune(c)) }

// urlUserinfo is SplitResult._userinfo: None for what the netloc lacks.
func urlUserinfo(netloc string) (user, password any) {
	i := strings.LastIndexByte(netloc, '@')
	if i < 0 {
		return nil, nil
	}
	u, p, hasPassword := strings.Cut(netloc[:i], ":")
	if !hasPassword {
		return u, nil
	}
	return u, p
}

// urlHostinfo is SplitResult._hostinfo: the host (brackets dropped) and
// the port text.
func urlHostinfo(netloc string) (host, port string) {
	hostinfo := netloc[strings.LastIndexByte(netloc, '@')+1:]
	if _, bracketed, ok := strings.Cut(hostinfo, "["); ok {
		host, rest, _ := strings.Cut(bracketed, "]")
		_, port, _ = strings.Cut(rest, ":")
		return host, port
	}
	host, port, _ = strings.Cut(hostinfo, ":")
	return host, port
}

// urlPort is SplitResult.port: None, or the port as an int in 0-65535.
func urlPort(port string) (any, error) {
	if port == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(port)
	if err != nil || strings.Trim(port, "0123456789") != "" {
		return nil, fmt.Errorf("Port could not be cast to integer value as '%s'", port)
	}
	if n > 65535 {
		return nil, fmt.Errorf("Port out of range 0-65535")
	}
	return n, nil
}

// pyExpandTabs is Python's str.expandtabs(size): each tab up to the next
// multiple of size columns, the column counted from the last \n or \r.
func pyExpandTabs(s string, size int) string {
	if !strings.ContainsRune(s, '\t') {
		return s
	}
	var b strings.Builder
	col := 0
	for _, r := range s {
		switch r {
		case '\t':
			n := size - col%size
			b.WriteString(strings.Repeat(" ", n))
			col += n
		case '\n', '\r':
			b.WriteRune(r)
			col = 0
		default:
			b.WriteRune(r)
			col++
		}
	}
	return b.String()
}
