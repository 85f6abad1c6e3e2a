package assemble

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

// maxAssembled bounds the file assemble builds in memory (fragments are
// configuration snippets; a bigger result is a mistake in src).
const maxAssembled = 64 << 20

// fragment is one file of src, in the order it is assembled.
type fragment struct {
	name    string
	content []byte
}

// join is assemble_from_fragments: the fragments in order, a newline after
// one that lacks it, and the delimiter between fragments (its escapes
// decoded, a newline after it unless it ends in one).
func join(fragments []fragment, delimiter *string) []byte {
	var b bytes.Buffer
	var delim []byte
	if delimiter != nil {
		delim = []byte(*delimiter)
	}
	for i, f := range fragments {
		if i > 0 {
			if !bytes.HasSuffix(fragments[i-1].content, []byte("\n")) {
				b.WriteByte('\n')
			}
			if len(delim) > 0 {
				// the module decodes the delimiter again before each use
				delim = escapeDecode(delim)
				b.Write(delim)
				if delim[len(delim)-1] != '\n' {
					b.WriteByte('\n')
				}
			}
		}
		b.Write(f.content)
	}
	return b.Bytes()
}

// escapeDecode is Python's codecs.escape_decode: \\, \', \", \a \b \f \n
// \r \t \v, \ooo, \xhh and a backslash before a newline decoded; any other
// backslash kept as it is.
func escapeDecode(s []byte) []byte {
	simple := map[byte]byte{'\\': '\\', '\'': '\'', '"': '"', 'a': '\a', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t', 'v': '\v'}
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			out = append(out, s[i])
			continue
		}
		c := s[i+1]
		switch {
		case simple[c] != 0:
			out = append(out, simple[c])
			i++
		case c == '\n':
			i++
		case c >= '0' && c <= '7':
			j := i + 1
			for j < len(s) && j < i+4 && s[j] >= '0' && s[j] <= '7' {
				j++
			}
			n, _ := strconv.ParseUint(string(s[i+1:j]), 8, 16)
			out = append(out, byte(n))
			i = j - 1
		case c == 'x' && i+3 < len(s) && isHex(s[i+2]) && isHex(s[i+3]):
			n, _ := strconv.ParseUint(string(s[i+2:i+4]), 16, 8)
			out = append(out, byte(n))
			i += 3
		default:
			out = append(out, '\\')
		}
	}
	return out
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// keep says whether the file name is assembled: regexp searched in the
// name, and no hidden file with ignore_hidden.
func (o assembleOptions) keep(re *regexp.Regexp, name string) bool {
	return (re == nil || re.MatchString(name)) && !(o.IgnoreHidden && strings.HasPrefix(name, "."))
}

// hostFragments reads src's regular files (links followed) on the host,
// sorted by name as sorted(os.listdir()).
func hostFragments(ctx context.Context, h *modules.Host, o assembleOptions, re *regexp.Regexp) ([]fragment, error) {
	script := fmt.Sprintf(`cd %s || exit 3
for f in * .[!.]* ..?*; do [ -f "$f" ] && printf '%%s\0' "$f"; done; exit 0`, hostcmd.Quote(o.Src))
	out, err := hostcmd.Query(ctx, h, script)
	if err != nil {
		return nil, err
	}
	if out.RC != 0 {
		return nil, fmt.Errorf("cannot read the directory %s: %s", o.Src, strings.TrimSpace(out.Stderr))
	}
	names := strings.Split(strings.TrimSuffix(out.Stdout, "\x00"), "\x00")
	slices.Sort(names)
	var fragments []fragment
	total := 0
	for _, name := range names {
		if name == "" || !o.keep(re, name) {
			continue
		}
		content, err := modules.ReadFile(ctx, h, o.Src+"/"+name, maxAssembled+1)
		if err != nil {
			return nil, err
		}
		if total += len(content); total > maxAssembled {
			return nil, fmt.Errorf("the fragments in %s are more than %s: assemble builds configuration files", o.Src, modules.HumanBytes(maxAssembled))
		}
		fragments = append(fragments, fragment{name, content})
	}
	return fragments, nil
}

// controllerFragments reads the directory dir on the controller, its
// vault-encrypted files decrypted when decrypt is set.
func controllerFragments(h *modules.Host, o assembleOptions, dir string, re *regexp.Regexp) ([]fragment, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var fragments []fragment
	total := 0
	for _, e := range entries { // os.ReadDir sorts by name
		p := filepath.Join(dir, e.Name())
		if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() || !o.keep(re, e.Name()) {
			continue
		}
		content, err := controllerFile(h, p, o.Decrypt)
		if err != nil {
			return nil, err
		}
		if total += len(content); total > maxAssembled {
			return nil, fmt.Errorf("the fragments in %s are more than %s: assemble builds configuration files", dir, modules.HumanBytes(maxAssembled))
		}
		fragments = append(fragments, fragment{e.Name(), content})
	}
	return fragments, nil
}

// controllerFile is a fragment's content, decrypted when it is vaulted.
func controllerFile(h *modules.Host, p string, decrypt bool) ([]byte, error) {
	if decrypt {
		if plain, ok, err := modules.Unvault(h, p); err != nil || ok {
			return plain, err
		}
	}
	return os.ReadFile(p)
}
