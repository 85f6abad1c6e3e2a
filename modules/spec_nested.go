package modules

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Nested options (Arg.Fields): a mapping argument whose keys are options of
// their own, or a list of such mappings, bound and checked as the module's
// own arguments are, so that a typo or a bad value inside them is caught by
// `ferry validate` and named.

// subject is who a message is about: the module, or a nested mapping.
func (s Spec) subject() string {
	if s.nested {
		return s.Name
	}
	return "module " + s.Name
}

// checksInside reports whether a templated value still has literal parts to
// check before the run: a mapping (or list of mappings) with declared
// fields, as opposed to a template standing for the whole value.
func checksInside(a Arg, v any) bool {
	if len(a.Fields) == 0 {
		return false
	}
	_, isString := v.(string)
	return !isString
}

// bindFields binds a nested mapping, or each mapping of a list, against the
// argument's fields; defaults are filled in and aliases resolved.
func bindFields(a Arg, v any, static bool) (any, error) {
	sub := Spec{Name: a.Name, Args: a.Fields, nested: true}
	one := func(name string, item any) (any, error) {
		if static && hasTemplate(item) && !isMapping(item) {
			return item, nil
		}
		m, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("argument %s: want a mapping, got %s", name, TypeName(item))
		}
		bound, errs := sub.bind(m, static)
		if len(errs) > 0 {
			return nil, fmt.Errorf("argument %s: %w", name, errors.Join(errs...))
		}
		return map[string]any(bound), nil
	}
	if a.Type == Map {
		bound, err := one(a.Name, v)
		return bound, placeNested("", err)
	}
	items, _ := v.([]any)
	out := make([]any, len(items))
	for i, item := range items {
		bound, err := one(fmt.Sprintf("%s[%d]", a.Name, i), item)
		if err != nil {
			return nil, placeNested(fmt.Sprintf("[%d]", i), err)
		}
		out[i] = bound
	}
	return out, nil
}

// nestedError is a problem inside a nested argument's value, with where it
// is below the argument (ArgError.At): the first nested argument refused.
type nestedError struct {
	at  string
	err error
}

func (e *nestedError) Error() string { return e.err.Error() }
func (e *nestedError) Unwrap() error { return e.err }

// placeNested says where below the argument err is: at (a list item's
// [i], or "" for the mapping itself), then the first nested argument that
// err names, and where inside it.
func placeNested(at string, err error) error {
	if err == nil {
		return nil
	}
	var ae *ArgError
	if errors.As(err, &ae) {
		at += "." + ae.Arg + ae.At
	}
	return &nestedError{at: at, err: err}
}

// nestedAt is where err, an argument's error, is inside its value.
func nestedAt(err error) string {
	var ne *nestedError
	if errors.As(err, &ne) {
		return ne.at
	}
	return ""
}

// copyDefault gives each task its own copy of a list or mapping default,
// which the declaration (cached by OptionsOf) shares.
func copyDefault(v any) any {
	switch x := v.(type) {
	case []any:
		return slices.Clone(x)
	case map[string]any:
		return maps.Clone(x)
	}
	return v
}

func isMapping(v any) bool {
	_, ok := v.(map[string]any)
	return ok
}

// nestedSecrets returns the secret values inside a nested argument's value.
func nestedSecrets(a Arg, v any) []string {
	sub := Spec{Args: a.Fields}
	switch x := v.(type) {
	case map[string]any:
		return sub.SecretArgs(x)
	case []any:
		var out []string
		for _, item := range x {
			out = append(out, nestedSecrets(a, item)...)
		}
		return out
	}
	return nil
}

// HasSecrets reports whether any argument, nested ones included, is
// declared secret (so that the runner knows which tasks to look at).
func (s Spec) HasSecrets() bool {
	return slices.ContainsFunc(s.Args, func(a Arg) bool {
		return a.Secret || a.SecretKeys || Spec{Args: a.Fields}.HasSecrets()
	})
}

// credentialValues returns the values of a SecretKeys mapping whose keys
// name credentials, and of a value in the form "Scheme credentials"
// (Authorization: Bearer ...) the credentials alone too; each item of a
// list value.
func credentialValues(v any) []string {
	m, _ := v.(map[string]any)
	var out []string
	for k, x := range m {
		if !credentialKey(k) || x == nil {
			continue
		}
		items, isList := x.([]any)
		if !isList {
			items = []any{x}
		}
		for _, item := range items { // a list is successive answers (expect's responses)
			s := fmt.Sprint(item)
			out = append(out, s)
			if _, cred, ok := strings.Cut(s, " "); ok && strings.TrimSpace(cred) != "" {
				out = append(out, strings.TrimSpace(cred))
			}
		}
	}
	return out
}

// credentialKey reports whether a header's name says that its value is a
// credential: Authorization and Proxy-Authorization, cookies, and the usual
// names of API keys, tokens and sessions (X-Auth-Token, X-API-Key...).
func credentialKey(k string) bool {
	k = strings.ToLower(k)
	return slices.ContainsFunc(credentialWords, func(w string) bool { return strings.Contains(k, w) })
}

var credentialWords = []string{"auth", "cookie", "token", "secret", "passw", "passphrase", "api-key", "apikey", "api_key", "session"}
