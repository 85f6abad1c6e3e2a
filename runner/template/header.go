package template

import "strings"

// A template's first line may set Jinja's environment, as Ansible's
// Templar.do_template reads it: "#jinja2: trim_blocks: False,
// lstrip_blocks: True". The line is not part of the output. ferry knows the
// settings that shape whitespace; the others (other delimiters, newline
// sequences) are refused before anything runs.
const headerPrefix = "#jinja2:"

// envSettings are the Jinja settings a template is parsed with.
type envSettings struct {
	trimBlocks          bool // drop the newline after a block tag (Ansible's default)
	lstripBlocks        bool // drop the spaces and tabs before a block tag on its line
	keepTrailingNewline bool
	bodyStart           int // where the template starts, after the header line
}

// ansibleEnv is the settings of Ansible's templar: trim_blocks on.
var ansibleEnv = envSettings{trimBlocks: true}

// Settings are the Jinja settings a template task gives (the template
// module's trim_blocks and lstrip_blocks); a template's #jinja2: line
// overrides them.
type Settings struct{ TrimBlocks, LstripBlocks bool }

// AnsibleSettings are the template module's defaults.
var AnsibleSettings = Settings{TrimBlocks: true}

func (s Settings) env() envSettings {
	return envSettings{trimBlocks: s.TrimBlocks, lstripBlocks: s.LstripBlocks}
}

// parseHeader reads src's #jinja2: line over the settings base.
func parseHeader(src string, base envSettings) (envSettings, error) {
	env := base
	if !strings.HasPrefix(src, headerPrefix) {
		return env, nil
	}
	line, _, found := strings.Cut(src, "\n")
	env.bodyStart = len(src)
	if found {
		env.bodyStart = len(line) + 1
	}
	off := len(headerPrefix)
	for _, pair := range strings.Split(line[off:], ",") {
		key, val, ok := strings.Cut(pair, ":")
		if !ok || strings.Contains(val, ":") {
			return env, errAt(off, "a #jinja2: setting is written name: value, as trim_blocks: False")
		}
		n, err := parseExpression(val)
		lit, isLit := n.(*litNode)
		if err != nil || !isLit {
			return env, errAt(off, "the value of #jinja2: setting %s must be a literal (True, False, a string or a number)", strings.TrimSpace(key))
		}
		switch name := strings.TrimSpace(key); name {
		case "trim_blocks":
			env.trimBlocks = truthy(lit.val)
		case "lstrip_blocks":
			env.lstripBlocks = truthy(lit.val)
		case "keep_trailing_newline":
			env.keepTrailingNewline = truthy(lit.val)
		default:
			return env, errAt(off, "#jinja2: %s is not supported (ferry knows trim_blocks, lstrip_blocks and keep_trailing_newline)", name)
		}
		off += len(pair) + 1
	}
	return env, nil
}

// lstripEnd is where the text before the block tag at start ends when
// lstrip_blocks removes the spaces and tabs before the tag on its line.
func (p *templateParser) lstripEnd(start int) int {
	text := p.src[p.pos:start]
	lineStart := strings.LastIndexByte(text, '\n') + 1
	if lineStart == 0 && p.pos != p.env.bodyStart {
		return start // the tag follows something else on its line
	}
	if strings.Trim(text[lineStart:], " \t") != "" {
		return start
	}
	return p.pos + lineStart
}
