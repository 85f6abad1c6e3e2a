package modules

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/go-viper/mapstructure/v2"

	"github.com/ferry-sh/ferry/internal/keyorder"
)

// A module declares its options once, as a struct whose fields carry tags:
//
//	type rawOptions struct {
//		FreeForm   string `opt:"free_form,required,nonempty" doc:"The command line."`
//		Executable string `opt:"executable" kind:"abspath" doc:"The shell to run it with."`
//	}
//
//	Spec{Name: "raw", Args: OptionsOf[rawOptions](), ...}
//	o, err := Decode[rawOptions](args) // in Run
//
// OptionsOf derives the Spec's arguments from the struct, so validation,
// `ferry doc`, `ferry schema` and masking all read the one declaration;
// Decode fills the struct from the bound arguments.
//
// The tags (any other tag key, or flag, is a mistake that OptionsOf refuses):
//   - opt:"name,flags": the argument's name; flags required, secret, raw
//     (evaluated by the module, not rendered), nonempty (refuses "").
//   - default:"value": read as the field's type (yes/no for a bool).
//   - choices:"a,b,c", aliases:"x,y": comma-separated.
//   - kind:"k": what the value means, checked before the module runs:
//     abspath, ipv4, cidr, port, dnsname, seconds, mode (kind.go).
//   - doc:"...": the one-line description `ferry doc` prints.
//
// Field types: string, int, bool, any, []string, []int, []any, a map with
// string keys, a nested struct (a mapping whose keys are the struct's own
// options) and a list of structs; a pointer to any of these is nil when the
// argument is not given. An embedded struct adds its options as if they
// were the outer struct's (shared groups such as a file's attributes).
//
// Rules beyond type and kind come from an OptionChecks method on the
// struct, keyed by option name, or from the field's type (OptionValue).

// OptionChecker is implemented by an options struct whose options have
// rules of their own ("a whole number or auto"): each check's message names
// the argument and says what to give instead.
type OptionChecker interface {
	OptionChecks() map[string]func(v any) error
}

// OptionValue is implemented by a field type whose values have a rule of
// their own wherever the type is used (ValidateCommand's %s): the rule is
// checked as the argument's, before the module runs.
type OptionValue interface {
	CheckOption(v any) error
}

// optTags are the tag keys an options struct may use.
var optTags = map[string]bool{"opt": true, "default": true, "choices": true, "aliases": true, "kind": true, "doc": true}

// kindTags are the names of the kinds in a kind:"..." tag.
var kindTags = map[string]Kind{
	"abspath": AbsPath, "ipv4": IPv4, "cidr": IPv4CIDR, "port": PortNumber,
	"dnsname": DNSName, "seconds": Seconds, "mode": FileMode,
}

var derived sync.Map // reflect.Type -> []Arg

// OptionsOf returns the argument declarations of the options struct T. A
// malformed declaration (an unknown tag or flag, a default that is not of
// the field's type, a check for no option) is a programming error: it
// panics, so every test that links the module fails at once.
func OptionsOf[T any]() []Arg {
	t := reflect.TypeFor[T]()
	if args, ok := derived.Load(t); ok {
		return args.([]Arg)
	}
	args, err := deriveArgs(t)
	if err != nil {
		panic(fmt.Sprintf("modules: options %v: %v", t, err))
	}
	derived.Store(t, args)
	return args
}

// Decode checks bound arguments against T's declarations (defaults filled,
// aliases resolved, every type, kind and check) and returns them as a T.
// Arguments that the runner bound pass unchanged; a test may hand Run
// arguments that were never bound, and they get the same checks.
func Decode[T any](args Args) (T, error) {
	var out T
	decl := OptionsOf[T]()
	bound, err := Spec{Name: reflect.TypeFor[T]().Name(), Args: decl, nested: true}.Bind(args)
	if err != nil {
		return out, err
	}
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		TagName: "opt", Squash: true, ErrorUnused: true, Result: &out,
		DecodeHook: decodeHook,
	})
	if err != nil {
		return out, err
	}
	if err := dec.Decode(map[string]any(bound)); err != nil {
		return out, fmt.Errorf("options: %s", decodeErrorText(err))
	}
	keepKeyOrder(reflect.ValueOf(&out).Elem(), bound)
	return out, nil
}

// keepKeyOrder gives each mapping option of a decoded struct its
// argument's key order back: mapstructure copies a map into a new one,
// and the order a user wrote (an argument spec's options, a JSON body's
// keys) shows in what the module does with it.
func keepKeyOrder(v reflect.Value, from map[string]any) {
	for i := range v.NumField() {
		f, field := v.Type().Field(i), v.Field(i)
		if f.Anonymous && f.Tag == "" {
			if s := reflect.Indirect(field); s.Kind() == reflect.Struct {
				keepKeyOrder(s, from)
			}
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("opt"), ",")
		src, ok := from[name].(map[string]any)
		if !ok || !field.CanInterface() {
			continue
		}
		switch dst := field.Interface().(type) {
		case map[string]any:
			keyorder.Set(dst, keyorder.Keys(src))
		default:
			if s := reflect.Indirect(field); s.Kind() == reflect.Struct {
				keepKeyOrder(s, src)
			}
		}
	}
}

// DecodeDynamic is Decode for a module whose other argument names are free
// (Spec.Dynamic: set_fact, add_host): the declared options fill a T, and
// the rest are returned as they were given.
func DecodeDynamic[T any](args Args) (T, Args, error) {
	decl := Spec{Args: OptionsOf[T]()}
	known, rest := Args{}, Args{}
	for name, v := range args {
		if _, ok := decl.Arg(name); ok {
			known[name] = v
		} else {
			rest[name] = v
		}
	}
	o, err := Decode[T](known)
	return o, rest, err
}

// decodeHook leaves a nil value (an argument given as null) at its zero
// value, reads a list item into an int field as Bind reads an int ("201"
// is 201) and a list item into a string field as text (ToStrings).
func decodeHook(from, to reflect.Type, v any) (any, error) {
	switch {
	case v == nil:
		return reflect.Zero(to).Interface(), nil
	case to.Kind() == reflect.Int && from.Kind() == reflect.String:
		return ToInt(v)
	case to.Kind() == reflect.String && from.Kind() != reflect.String && from.Kind() != reflect.Interface:
		return fmt.Sprint(v), nil
	}
	return v, nil
}

// decodeErrorText flattens mapstructure's error list, whose lines name the
// argument ('mode' expected type...).
func decodeErrorText(err error) string {
	var lines []string
	for _, l := range strings.Split(err.Error(), "\n") {
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "*"))
		if l != "" && !strings.HasPrefix(l, "decoding failed") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "; ")
}

func deriveArgs(t reflect.Type) ([]Arg, error) {
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("is a %s, not a struct", t.Kind())
	}
	args, err := structArgs(t)
	if err != nil {
		return nil, err
	}
	if c, ok := reflect.Zero(t).Interface().(OptionChecker); ok {
		if err := attachChecks(args, c.OptionChecks()); err != nil {
			return nil, err
		}
	}
	return args, nil
}

func structArgs(t reflect.Type) ([]Arg, error) {
	var args []Arg
	seen := map[string]bool{}
	for f := range t.Fields() {
		if f.Anonymous && f.Tag == "" {
			if _, ok := reflect.Zero(f.Type).Interface().(OptionChecker); ok {
				// The outer struct's own OptionChecks would hide it.
				return nil, fmt.Errorf("embedded %s has OptionChecks: give its rules as field types (OptionValue)", f.Name)
			}
			inner, err := structArgs(derefType(f.Type))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
			args = append(args, inner...)
			continue
		}
		if !f.IsExported() {
			continue
		}
		a, err := fieldArg(f)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f.Name, err)
		}
		args = append(args, a)
	}
	for _, a := range args {
		for _, n := range append([]string{a.Name}, a.Aliases...) {
			if seen[n] {
				return nil, fmt.Errorf("option %q declared twice", n)
			}
			seen[n] = true
		}
	}
	return args, nil
}

func derefType(t reflect.Type) reflect.Type {
	if t.Kind() == reflect.Pointer {
		return t.Elem()
	}
	return t
}

// fieldArg reads one field's tags into its argument declaration.
func fieldArg(f reflect.StructField) (Arg, error) {
	if err := checkTagKeys(f.Tag); err != nil {
		return Arg{}, err
	}
	opt, ok := f.Tag.Lookup("opt")
	if !ok || opt == "" {
		return Arg{}, errors.New(`has no opt:"name" tag (unexported fields are not options)`)
	}
	name, flags, _ := strings.Cut(opt, ",")
	a := Arg{Name: name, Doc: f.Tag.Get("doc")}
	var err error
	if a.Type, a.Fields, err = argType(f.Type); err != nil {
		return Arg{}, err
	}
	if flags != "" {
		for _, flag := range strings.Split(flags, ",") {
			if err := a.setFlag(flag); err != nil {
				return Arg{}, err
			}
		}
	}
	if v, ok := reflect.Zero(derefType(f.Type)).Interface().(OptionValue); ok {
		a.Check = bothChecks(a.Check, v.CheckOption)
	}
	if s, ok := f.Tag.Lookup("choices"); ok {
		a.Choices = strings.Split(s, ",")
	}
	if s, ok := f.Tag.Lookup("aliases"); ok {
		a.Aliases = strings.Split(s, ",")
	}
	if s, ok := f.Tag.Lookup("kind"); ok {
		if a.Kind, ok = kindTags[s]; !ok {
			return Arg{}, fmt.Errorf("kind %q is not one of abspath, ipv4, cidr, port, dnsname, seconds, mode", s)
		}
	}
	if s, ok := f.Tag.Lookup("default"); ok {
		if a.Default, err = parseDefault(a, f.Type, s); err != nil {
			return Arg{}, err
		}
	}
	return a, nil
}

func (a *Arg) setFlag(flag string) error {
	switch flag {
	case "required":
		a.Required = true
	case "secret":
		a.Secret = true
	case "secretkeys":
		a.SecretKeys = true
	case "raw":
		a.Raw = true
	case "nonempty":
		a.Check = checkNotEmpty(a.Name)
	default:
		return fmt.Errorf("opt flag %q is not one of required, secret, secretkeys, raw, nonempty", flag)
	}
	return nil
}

// checkTagKeys refuses a tag key that is not an option tag (a typo such as
// `defualt:` would otherwise be ignored).
func checkTagKeys(tag reflect.StructTag) error {
	rest := strings.TrimSpace(string(tag))
	for rest != "" {
		key, after, ok := strings.Cut(rest, ":")
		if !ok || !optTags[key] {
			return fmt.Errorf("tag %q: %q is not one of opt, default, choices, aliases, kind, doc", tag, key)
		}
		quoted, err := strconv.QuotedPrefix(after)
		if err != nil {
			return fmt.Errorf("tag %q is malformed after %s:", tag, key)
		}
		rest = strings.TrimSpace(after[len(quoted):])
	}
	return nil
}

// argType maps a field's Go type to the argument's type; a struct, or a
// list of structs, also gives the nested options.
func argType(t reflect.Type) (Type, []Arg, error) {
	t = derefType(t)
	switch t.Kind() {
	case reflect.String:
		return String, nil, nil
	case reflect.Int:
		return Int, nil, nil
	case reflect.Bool:
		return Bool, nil, nil
	case reflect.Interface:
		return Any, nil, nil
	case reflect.Map:
		if t.Key().Kind() == reflect.String {
			return Map, nil, nil
		}
	case reflect.Struct:
		fields, err := deriveArgs(t)
		return Map, fields, err
	case reflect.Slice:
		elem := derefType(t.Elem())
		switch elem.Kind() {
		case reflect.String, reflect.Int, reflect.Interface:
			return List, nil, nil
		case reflect.Struct:
			fields, err := deriveArgs(elem)
			return List, fields, err
		}
	}
	return 0, nil, fmt.Errorf("type %v cannot hold an option", t)
}

// parseDefault reads a default:"..." tag as the argument's type (a list's
// items as its element type: default:"200,201" for a []int).
func parseDefault(a Arg, t reflect.Type, s string) (any, error) {
	if a.Type == Map {
		if s != "{}" {
			return nil, fmt.Errorf("default %q: a mapping's default can only be {}", s)
		}
		return map[string]any{}, nil
	}
	if a.Type != List {
		v, err := coerceType(Arg{Name: a.Name, Type: a.Type, Choices: a.Choices}, s)
		if err != nil {
			return nil, fmt.Errorf("default %q: %w", s, err)
		}
		return v, nil
	}
	items := splitList(s)
	if items == nil {
		items = []any{} // default:"" is an empty list, not none
	}
	if derefType(t).Elem().Kind() == reflect.Int {
		for i, item := range items {
			n, err := ToInt(item)
			if err != nil {
				return nil, fmt.Errorf("default %q: %w", s, err)
			}
			items[i] = n
		}
	}
	return items, nil
}

func attachChecks(args []Arg, checks map[string]func(any) error) error {
	for name, check := range checks {
		i := argIndex(args, name)
		if i < 0 {
			return fmt.Errorf("OptionChecks names %q, which is no option", name)
		}
		args[i].Check = bothChecks(args[i].Check, check)
	}
	return nil
}

func argIndex(args []Arg, name string) int {
	for i, a := range args {
		if a.Name == name {
			return i
		}
	}
	return -1
}

// bothChecks runs first, then second (nonempty, then the module's rule).
func bothChecks(first, second func(any) error) func(any) error {
	if first == nil {
		return second
	}
	return func(v any) error {
		if err := first(v); err != nil {
			return err
		}
		return second(v)
	}
}
