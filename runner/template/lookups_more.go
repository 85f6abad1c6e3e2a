package template

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// first_found, sequence and password: the lookups with their own little
// argument languages.

func lookupFirstFound(c *lookupCall, terms []any) ([]any, error) {
	candidates, skip, err := c.firstFoundCandidates(terms, c.kw)
	if err != nil {
		return nil, err
	}
	for _, name := range candidates {
		if path, ok := c.findFile(c.subdirOr("files"), name); ok {
			return []any{path}, nil
		}
	}
	if skip {
		return []any{}, nil
	}
	return nil, errors.New("No file was found when using first_found.")
}

func (c *lookupCall) subdirOr(def string) string {
	if c.subdir != "" {
		return c.subdir
	}
	return def
}

// firstFoundCandidates expands the terms: strings are file names, a dict
// gives files and paths (every path joined with every file), lists nest.
func (c *lookupCall) firstFoundCandidates(terms []any, opts map[string]any) (out []string, skip bool, err error) {
	skip = truthy(opts["skip"])
	for _, t := range terms {
		switch x := t.(type) {
		case string:
			files := splitOn(opts["files"], ",;")
			paths := splitOn(opts["paths"], ",:;")
			switch {
			case len(paths) > 0:
				out = append(out, joinAll(paths, files)...)
			case len(files) > 0:
				out = files
			default:
				out = append(out, x)
			}
			continue
		case *undefined:
			continue // first_found falls through undefined names
		}
		if m, ok := asMap(t); ok {
			skip = truthy(m["skip"])
			files, paths := splitOn(m["files"], ",;"), splitOn(m["paths"], ",:;")
			if len(paths) > 0 {
				out = append(out, joinAll(paths, files)...)
			} else {
				out = append(out, files...)
			}
			continue
		}
		if l, ok := asList(t); ok {
			more, s, err := c.firstFoundCandidates(l, opts)
			if err != nil {
				return nil, false, err
			}
			out, skip = append(out, more...), s
			continue
		}
		return nil, false, fmt.Errorf("invalid term supplied, can handle string, mapping or list of strings but got: %s for %s", typeName(t), pyStr(t))
	}
	return out, skip, nil
}

func joinAll(paths, files []string) []string {
	var out []string
	for _, p := range paths {
		for _, f := range files {
			out = append(out, filepath.Join(p, f))
		}
	}
	return out
}

// splitOn is first_found's _split_on: strings split on any of seps, lists
// flattened.
func splitOn(v any, seps string) []string {
	if v == nil {
		return nil
	}
	if s, ok := v.(string); ok {
		var out []string
		for _, part := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(seps, r) }) {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
		return out
	}
	var out []string
	if l, ok := asList(v); ok {
		for _, x := range l {
			out = append(out, splitOn(x, seps)...)
		}
	}
	return out
}

// sequenceShortcut is sequence.py's [start-]end[/stride][:format].
var sequenceShortcut = regexp.MustCompile(`(?i)^((0?x?[0-9a-f]+)-)?(0?x?[0-9a-f]+)(/(0?x?[0-9a-f]+))?(:(.+))?$`)

type sequence struct {
	start, end, stride int
	count              *int
	hasEnd             bool
	format             string
}

func lookupSequence(_ *lookupCall, terms []any) ([]any, error) {
	out := []any{}
	for _, t := range terms {
		sq := sequence{start: 1, stride: 1, format: "%d"}
		term := pyStr(t)
		var err error
		if m := sequenceShortcut.FindStringSubmatch(term); m != nil {
			err = sq.shortcut(m)
		} else {
			err = sq.keyValues(term)
		}
		if err == nil {
			err = sq.check()
		}
		if err != nil {
			return nil, err
		}
		items, err := sq.generate()
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
	}
	return out, nil
}

// pyInt is Python's int(s, 0): decimal, 0x hex, 0o octal, 0b binary.
func pyInt(name, s string) (int, error) {
	s = strings.TrimSpace(s)
	digits := strings.TrimLeft(s, "+-")
	bad := strings.Contains(s, "_") || (len(digits) > 1 && digits[0] == '0' && strings.IndexAny(digits[1:2], "xXoObB") < 0)
	n, err := strconv.ParseInt(s, 0, 64)
	if err != nil || bad {
		return 0, fmt.Errorf("can't parse %s=%s as integer", name, s)
	}
	return int(n), nil
}

func (sq *sequence) shortcut(m []string) error {
	var err error
	if m[2] != "" {
		if sq.start, err = pyInt("start", m[2]); err != nil {
			return err
		}
	}
	if sq.end, err = pyInt("end", m[3]); err != nil {
		return err
	}
	sq.hasEnd = true
	if m[5] != "" {
		if sq.stride, err = pyInt("stride", m[5]); err != nil {
			return err
		}
	}
	if m[7] != "" {
		sq.format = m[7]
	}
	return nil
}

func (sq *sequence) keyValues(term string) error {
	kvs, raw, err := ParseKV(term, false)
	if err != nil {
		return err
	}
	if raw != "" {
		return fmt.Errorf("unrecognized arguments to with_sequence: ['_raw_params']")
	}
	for _, kv := range kvs {
		var n int
		if kv.Key != "format" {
			if n, err = pyInt(kv.Key, kv.Value); err != nil {
				return err
			}
		}
		switch kv.Key {
		case "start":
			sq.start = n
		case "end":
			sq.end, sq.hasEnd = n, true
		case "count":
			sq.count = &n
		case "stride":
			sq.stride = n
		case "format":
			sq.format = kv.Value
		default:
			return fmt.Errorf("unrecognized arguments to with_sequence: ['%s']", kv.Key)
		}
	}
	return nil
}

func (sq *sequence) check() error {
	switch {
	case sq.count == nil && !sq.hasEnd:
		return errors.New("must specify count or end in with_sequence")
	case sq.count != nil && sq.hasEnd:
		return errors.New("can't specify both count and end in with_sequence")
	case sq.count != nil && *sq.count != 0:
		sq.end = sq.start + *sq.count*sq.stride - 1
	case sq.count != nil:
		sq.start, sq.end, sq.stride = 0, 0, 0
	}
	if sq.stride > 0 && sq.end < sq.start {
		return errors.New("to count backwards make stride negative")
	}
	if sq.stride < 0 && sq.end > sq.start {
		return errors.New("to count forward don't make stride negative")
	}
	if strings.Count(sq.format, "%") != 1 {
		return fmt.Errorf("bad formatting string: %s", sq.format)
	}
	return nil
}

func (sq *sequence) generate() ([]any, error) {
	if sq.stride == 0 {
		return nil, nil
	}
	adjust := 1
	if sq.stride < 0 {
		adjust = -1
	}
	stop := sq.end + adjust
	if n := (stop - sq.start) / sq.stride; n > maxRange {
		return nil, fmt.Errorf("with_sequence: more than %d items", maxRange)
	}
	out := []any{}
	for i := sq.start; (sq.stride > 0 && i < stop) || (sq.stride < 0 && i > stop); i += sq.stride {
		s, err := pyFormat(sq.format, []any{i})
		if err != nil {
			return nil, fmt.Errorf("problem formatting %d with '%s'", i, sq.format)
		}
		out = append(out, s)
	}
	return out, nil
}

// Python's string module constants, which password's chars= may name.
var passwordCharSets = map[string]string{
	"ascii_letters":   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
	"ascii_lowercase": "abcdefghijklmnopqrstuvwxyz",
	"ascii_uppercase": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
	"digits":          "0123456789",
	"hexdigits":       "0123456789abcdefABCDEF",
	"octdigits":       "01234567",
	"punctuation":     "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
	"whitespace":      " \t\n\r\v\f",
}

const defaultPasswordChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,:-_"

type passwordParams struct {
	path   string
	length int
	chars  string
	seed   any // a string, or nil for the system's randomness
}

// passwordParams parses "PATH key=value ..." as password.py does, with the
// keyword arguments of the lookup call as defaults.
func (c *lookupCall) passwordParams(term string) (passwordParams, error) {
	p := passwordParams{path: term, length: 20, chars: defaultPasswordChars}
	opts := map[string]string{}
	for k, v := range c.kw {
		if l, ok := asList(v); ok && k == "chars" { // chars=['digits', '?|']: one spec per item
			parts := make([]string, len(l))
			for i, x := range l {
				parts[i] = strings.ReplaceAll(pyStr(x), ",", ",,")
			}
			v = strings.Join(parts, ",")
		}
		opts[k] = pyStr(v)
	}
	if path, rest, ok := strings.Cut(term, " "); ok {
		kvs, raw, err := ParseKV(rest, false)
		if err != nil {
			return p, err
		}
		p.path = path
		if raw != "" {
			p.path = path + " " + raw
			if !strings.HasPrefix(term, p.path) {
				return p, errors.New("unrecognized value after key=value parameters given to password lookup")
			}
		}
		for _, kv := range kvs {
			opts[kv.Key] = kv.Value
		}
	}
	for k, v := range opts {
		switch k {
		case "length":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return p, fmt.Errorf("password lookup: length must be a whole number, got %q", v)
			}
			p.length = n
		case "chars":
			p.chars = passwordChars(v)
		case "seed":
			if v != "None" {
				p.seed = v // Ansible's option is a str: seed=42 seeds as "42"
			}
		case "encrypt", "ident":
			if v != "" && v != "None" {
				return p, fmt.Errorf("password lookup: %s= is not supported by ferry (generate the password, then hash it with a task)", k)
			}
		default:
			return p, fmt.Errorf("unrecognized parameter(s) given to password lookup: %s", k)
		}
	}
	if p.chars == "" {
		return p, errors.New("password lookup: chars gives no characters")
	}
	return p, nil
}

// passwordChars reads chars=ascii_letters,digits,?| : names of Python string
// constants or literal characters; ",," is a comma; quotes are dropped.
func passwordChars(spec string) string {
	var parts []string
	if strings.Contains(spec, ",,") {
		parts = append(parts, ",")
	}
	for _, part := range strings.Split(strings.ReplaceAll(spec, ",,", ","), ",") {
		if part != "" {
			parts = append(parts, part)
		}
	}
	var b strings.Builder
	for _, part := range parts {
		if set, ok := passwordCharSets[part]; ok {
			part = set
		} else if part == "printable" {
			part = passwordCharSets["digits"] + passwordCharSets["ascii_letters"] + passwordCharSets["punctuation"] + passwordCharSets["whitespace"]
		}
		b.WriteString(part)
	}
	return strings.NewReplacer(`"`, "", `'`, "").Replace(b.String())
}

// lookupPassword returns the password stored in a file on the controller,
// creating the file (directory 0700, file 0600) with a random password of
// the requested length and characters when it does not exist.
func lookupPassword(c *lookupCall, terms []any) ([]any, error) {
	out := []any{}
	for _, t := range terms {
		p, err := c.passwordParams(pyStr(t))
		if err != nil {
			return nil, err
		}
		pw, err := c.e.password(p)
		if err != nil {
			return nil, err
		}
		if c.e.opts.Secret != nil {
			c.e.opts.Secret(pw)
		}
		out = append(out, pw)
	}
	return out, nil
}

func (e *Engine) password(p passwordParams) (string, error) {
	path := p.path
	if !filepath.IsAbs(path) {
		path = filepath.Join(e.opts.BaseDir, path)
	}
	e.passwordMu.Lock() // hosts run in parallel: one creates the file, the others read it
	defer e.passwordMu.Unlock()
	if path != os.DevNull {
		if b, err := os.ReadFile(path); err == nil {
			content := strings.TrimRight(string(b), " \t\r\n\f\v")
			if i := strings.LastIndex(content, " salt="); i >= 0 {
				content = content[:i]
			}
			return content, nil
		} else if !os.IsNotExist(err) {
			return "", fmt.Errorf("password lookup: %v", err)
		}
	}
	pw, err := randomPassword(p.length, []rune(p.chars), p.seed)
	if err != nil || path == os.DevNull {
		return pw, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("password lookup: %v", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("password lookup: %v", err)
	}
	if _, err := f.WriteString(pw + "\n"); err != nil {
		f.Close()
		return "", fmt.Errorf("password lookup: %v", err)
	}
	return pw, f.Close()
}

// randomPassword is Ansible's random_password: each character chosen by
// random.Random(seed), or by the system's randomness without a seed.
func randomPassword(length int, chars []rune, seed any) (string, error) {
	if length > maxStringLen {
		return "", fmt.Errorf("password lookup: length larger than %d", maxStringLen)
	}
	r, err := newPyRandom(seed)
	if err != nil {
		return "", err
	}
	out := make([]rune, length)
	for i := range out {
		out[i] = chars[r.randbelow(len(chars))]
	}
	return string(out), nil
}
