package template

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Templates that extends, include and import name are found as Jinja's
// FileSystemLoader finds them: the name split on '/', each piece a plain
// name ('..' is refused), tried in each directory of the search path in
// turn. Ansible's template action searches, for each of the task's search
// path (the role, then the playbook's directory) and the template's own
// directory, DIR/templates then DIR (plugins/action/template.py).

// maxNesting bounds how deep templates include, import, extend and call
// macros, so that a template including itself ends with an error.
const maxNesting = 100

// maxEntries bounds how many times one render enters a template, a macro
// or a block (a variable for tests).
var maxEntries = 1 << 16

// TemplateNotFoundError is a template that no directory of the search
// path has.
type TemplateNotFoundError struct {
	Name string
	Dirs []string
}

func (e *TemplateNotFoundError) Error() string {
	if len(e.Dirs) == 0 {
		return fmt.Sprintf("template %q not found: templates that extends, include and import name are only found by the template module", e.Name)
	}
	return fmt.Sprintf("template %q not found (looked in %s)", e.Name, strings.Join(e.Dirs, ", "))
}

// SearchPath is the directories Ansible's template action gives Jinja for
// a template at path, after the task's search path dirs: each DIR/templates
// then DIR.
func SearchPath(path string, dirs ...string) []string {
	var out []string
	seen := map[string]bool{}
	for _, d := range append(dirs, filepath.Dir(path)) {
		for _, c := range []string{filepath.Join(d, "templates"), d} {
			if d != "" && !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}

// findTemplate returns the path of the template name in dirs.
func findTemplate(name string, dirs []string) (string, error) {
	var pieces []string
	for _, piece := range strings.Split(name, "/") {
		if piece == ".." || strings.ContainsRune(piece, os.PathSeparator) {
			return "", &TemplateNotFoundError{Name: name, Dirs: dirs}
		}
		if piece != "" && piece != "." {
			pieces = append(pieces, piece)
		}
	}
	for _, d := range dirs {
		p := filepath.Join(append([]string{d}, pieces...)...)
		fi, err := os.Stat(p)
		switch {
		case err == nil && fi.Mode().IsRegular():
			return p, nil
		case err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrPermission):
			return "", err
		}
	}
	return "", &TemplateNotFoundError{Name: name, Dirs: dirs}
}

// loadTemplate finds, reads and compiles a template a template names; path
// is where it was found.
func (e *Engine) loadTemplate(name string, dirs []string, env envSettings) (t *compiledTemplate, path string, err error) {
	if path, err = findTemplate(name, dirs); err != nil {
		return nil, "", err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	if len(data) > maxStringLen {
		return nil, "", fmt.Errorf("template %s is larger than %d bytes", path, maxStringLen)
	}
	if t, err = e.fileTemplate(string(data), env); err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	return t, path, nil
}

// fileTemplate compiles the text of a template file that another names:
// always as a body (never as the value of a lone {{ }}).
func (e *Engine) fileTemplate(text string, env envSettings) (*compiledTemplate, error) {
	key := "\x00file\x00" + envKey(env, text)
	if ent, ok := e.templates.Load(key); ok {
		return ent.(*tmplEntry).t, ent.(*tmplEntry).err
	}
	t, err := e.compileBody(text, env)
	e.cacheStore(&e.templates, key, &tmplEntry{t: t, err: err})
	return t, err
}

// templateNames is the value of an include's or extends' expression: a
// name, or a list of names to try in turn.
func templateNames(v any) ([]string, error) {
	if s, ok := v.(string); ok {
		return []string{s}, nil
	}
	if l, ok := asList(v); ok {
		names := make([]string, 0, len(l))
		for _, x := range l {
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("a template name must be a string, not '%s'", typeName(x))
			}
			names = append(names, s)
		}
		return names, nil
	}
	if err := defined(v); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("a template name must be a string or a list of strings, not '%s'", typeName(v))
}

// firstTemplate loads the first of names that exists; with none, the error
// names them all (nil template and error when ignoreMissing).
func (e *Engine) firstTemplate(names []string, dirs []string, env envSettings, ignoreMissing bool) (*compiledTemplate, string, error) {
	for _, name := range names {
		t, path, err := e.loadTemplate(name, dirs, env)
		var nf *TemplateNotFoundError
		if errors.As(err, &nf) && nf.Name == name {
			continue
		}
		return t, path, err
	}
	if ignoreMissing {
		return nil, "", nil
	}
	return nil, "", &TemplateNotFoundError{Name: strings.Join(names, ", "), Dirs: dirs}
}

// inlineDirs is where a template of the playbook (a task's argument, a
// variable) finds the templates it names: as Ansible's templar, in the
// playbook's directory.
func (e *Engine) inlineDirs() []string {
	if e.opts.BaseDir == "" {
		return nil
	}
	return []string{e.opts.BaseDir}
}

// RenderFile renders the text of a template file as Ansible's template
// action does: as text, with the templates it extends, includes and
// imports found in dirs (see SearchPath).
func (e *Engine) RenderFile(text string, dirs []string, s Scope) (string, error) {
	return e.RenderFileWith(text, dirs, AnsibleSettings, s)
}

// RenderFileWith is RenderFile with the Jinja settings of the task.
func (e *Engine) RenderFileWith(text string, dirs []string, set Settings, s Scope) (_ string, err error) {
	defer recoverInternal(&err)
	if !hasTemplateSyntax(text) && !strings.HasPrefix(text, headerPrefix) {
		return text, nil
	}
	env := set.env()
	t, err := e.template(text, env)
	if err != nil {
		return "", err
	}
	v, err := t.render(s, e, dirs, env)
	if err != nil || v == nil {
		return "", err
	}
	return pyStr(v), nil
}
