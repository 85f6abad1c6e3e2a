package modules

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/internal/keyorder"
)

type sampleEndpoint struct {
	Host  string `opt:"host,required" kind:"dnsname" doc:"The endpoint's name."`
	Port  int    `opt:"port" kind:"port" default:"443"`
	Token string `opt:"token,secret"`
}

type sampleShared struct {
	Owner string `opt:"owner" doc:"Shared by several modules."`
}

type sampleOptions struct {
	sampleShared
	Dest      string           `opt:"dest,required,nonempty" aliases:"path,name" kind:"abspath" doc:"Where it goes."`
	State     string           `opt:"state" choices:"present,absent" default:"present"`
	Force     bool             `opt:"force" default:"yes"`
	Retries   int              `opt:"retries" default:"3"`
	Timeout   *int             `opt:"timeout" kind:"seconds"`
	Mode      any              `opt:"mode" kind:"mode"`
	Codes     []int            `opt:"codes" default:"200,201"`
	Names     []string         `opt:"names" kind:"dnsname"`
	Password  string           `opt:"password,secret,nonempty"`
	That      any              `opt:"that,raw"`
	Headers   map[string]any   `opt:"headers"`
	Primary   sampleEndpoint   `opt:"primary"`
	Mirrors   []sampleEndpoint `opt:"mirrors"`
	unexposed string
}

func (sampleOptions) OptionChecks() map[string]func(any) error {
	return map[string]func(any) error{
		"retries": func(v any) error {
			if v.(int) > 10 {
				return fmt.Errorf("retries is %v; give 10 or fewer", v)
			}
			return nil
		},
	}
}

func TestOptionsOfHonoursEveryTag(t *testing.T) {
	args := OptionsOf[sampleOptions]()
	var names []string
	for _, a := range args {
		names = append(names, a.Name)
	}
	want := "owner dest state force retries timeout mode codes names password that headers primary mirrors"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("options %q, want %q (embedded first, unexported left out)", got, want)
	}
	spec := Spec{Name: "sample", Args: args}
	arg := func(name string) Arg { a, _ := spec.Arg(name); return a }
	dest := arg("dest")
	if !dest.Required || dest.Kind != AbsPath || dest.Doc != "Where it goes." || dest.Type != String ||
		!reflect.DeepEqual(dest.Aliases, []string{"path", "name"}) || dest.Check == nil {
		t.Errorf("dest = %+v", dest)
	}
	if a := arg("state"); a.Default != "present" || !reflect.DeepEqual(a.Choices, []string{"present", "absent"}) {
		t.Errorf("state = %+v", a)
	}
	if a := arg("force"); a.Type != Bool || a.Default != true {
		t.Errorf("force = %+v", a)
	}
	if a := arg("retries"); a.Type != Int || a.Default != 3 || a.Check == nil {
		t.Errorf("retries = %+v", a)
	}
	if a := arg("timeout"); a.Type != Int || a.Kind != Seconds || a.Default != nil {
		t.Errorf("timeout = %+v", a)
	}
	if a := arg("mode"); a.Type != Any || a.Kind != FileMode {
		t.Errorf("mode = %+v", a)
	}
	if a := arg("codes"); a.Type != List || !reflect.DeepEqual(a.Default, []any{200, 201}) {
		t.Errorf("codes = %+v", a)
	}
	if a := arg("password"); !a.Secret || a.Check == nil {
		t.Errorf("password = %+v", a)
	}
	if a := arg("that"); !a.Raw || a.Type != Any {
		t.Errorf("that = %+v", a)
	}
	if a := arg("headers"); a.Type != Map || a.Fields != nil {
		t.Errorf("headers = %+v", a)
	}
	if a := arg("primary"); a.Type != Map || len(a.Fields) != 3 || !a.Fields[2].Secret || a.Fields[1].Default != 443 {
		t.Errorf("primary = %+v", a)
	}
	if a := arg("mirrors"); a.Type != List || len(a.Fields) != 3 || a.Fields[0].Kind != DNSName {
		t.Errorf("mirrors = %+v", a)
	}
}

// Each malformed declaration is refused with what is wrong, not ignored.
func TestOptionsOfRefusesMistakes(t *testing.T) {
	type typoKey struct {
		A string `opt:"a" defualt:"x"`
	}
	type typoFlag struct {
		A string `opt:"a,requird"`
	}
	type badKind struct {
		A string `opt:"a" kind:"path"`
	}
	type badDefault struct {
		A int `opt:"a" default:"many"`
	}
	type badChoiceDefault struct {
		A string `opt:"a" choices:"x,y" default:"z"`
	}
	type noName struct {
		A string `doc:"no name"`
	}
	type twice struct {
		A string `opt:"a"`
		B string `opt:"b" aliases:"a"`
	}
	type badType struct {
		A float64 `opt:"a"`
	}
	type nestedTypo struct {
		In struct {
			X string `opt:"x" choises:"a"`
		} `opt:"in"`
	}
	cases := map[string]struct {
		derive func()
		want   string
	}{
		"tag key":        {func() { OptionsOf[typoKey]() }, `"defualt" is not one of`},
		"flag":           {func() { OptionsOf[typoFlag]() }, `opt flag "requird"`},
		"kind":           {func() { OptionsOf[badKind]() }, `kind "path"`},
		"default":        {func() { OptionsOf[badDefault]() }, `default "many"`},
		"choice default": {func() { OptionsOf[badChoiceDefault]() }, `"z" is not one of x, y`},
		"no name":        {func() { OptionsOf[noName]() }, `has no opt:"name" tag`},
		"twice":          {func() { OptionsOf[twice]() }, `option "a" declared twice`},
		"type":           {func() { OptionsOf[badType]() }, `type float64`},
		"nested":         {func() { OptionsOf[nestedTypo]() }, `"choises" is not one of`},
		"check":          {func() { OptionsOf[checkForNone]() }, `OptionChecks names "b"`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			defer func() {
				msg := fmt.Sprint(recover())
				if !strings.Contains(msg, c.want) {
					t.Errorf("panic %q, want it to say %q", msg, c.want)
				}
			}()
			c.derive()
		})
	}
}

type checkForNone struct {
	A string `opt:"a"`
}

func (checkForNone) OptionChecks() map[string]func(any) error {
	return map[string]func(any) error{"b": func(any) error { return nil }}
}

func TestDecodeFillsTheStruct(t *testing.T) {
	o, err := Decode[sampleOptions](Args{
		"path": "/srv/x", "owner": "root", "force": "no", "timeout": "30", "mode": "0644",
		"names": "a.example.com, b.example.com", "headers": map[string]any{"X": 1},
		"primary": map[string]any{"host": "dash.example.com", "token": "s3cret"},
		"mirrors": []any{map[string]any{"host": "m1.example.com", "port": 8443}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if o.Dest != "/srv/x" || o.Owner != "root" || o.Force || o.State != "present" || o.Retries != 3 ||
		o.Timeout == nil || *o.Timeout != 30 || o.Mode != "0644" || !reflect.DeepEqual(o.Codes, []int{200, 201}) ||
		!reflect.DeepEqual(o.Names, []string{"a.example.com", "b.example.com"}) || o.Headers["X"] != 1 {
		t.Errorf("decoded %+v", o)
	}
	if o.Primary != (sampleEndpoint{Host: "dash.example.com", Port: 443, Token: "s3cret"}) {
		t.Errorf("primary %+v: the nested default port is 443", o.Primary)
	}
	if !reflect.DeepEqual(o.Mirrors, []sampleEndpoint{{Host: "m1.example.com", Port: 8443}}) {
		t.Errorf("mirrors %+v", o.Mirrors)
	}
	if o, _ := Decode[sampleOptions](Args{"dest": "/x"}); o.Timeout != nil {
		t.Errorf("timeout not given, but decoded as %d", *o.Timeout)
	}
}

// Every refused value's message names the argument (nested ones by their
// path) and says what to give.
func TestDecodeErrorsNameTheArgument(t *testing.T) {
	cases := map[string]struct {
		args Args
		want string
	}{
		"missing":        {Args{}, `needs argument "dest"`},
		"empty":          {Args{"dest": "/x", "password": " "}, "password is empty"},
		"kind":           {Args{"dest": "srv"}, `dest "srv" must be an absolute path`},
		"choice":         {Args{"dest": "/x", "state": "gone"}, `"gone" is not one of present, absent`},
		"type":           {Args{"dest": "/x", "retries": "many"}, `argument retries: want a whole number, got "many"`},
		"check":          {Args{"dest": "/x", "retries": 11}, "retries is 11; give 10 or fewer"},
		"unknown":        {Args{"dest": "/x", "forse": true}, `has no argument "forse"; did you mean ` + "`force`" + `?`},
		"list item kind": {Args{"dest": "/x", "names": []any{"ok.example", "http://x"}}, `names "http://x" is not a host name`},
		"mode":           {Args{"dest": "/x", "mode": "0999"}, "0999"},
		"nested kind": {Args{"dest": "/x", "primary": map[string]any{"host": "dash.example.com", "port": 0}},
			"argument primary: port 0 is not a TCP port"},
		"nested missing": {Args{"dest": "/x", "primary": map[string]any{}}, `argument primary: primary needs argument "host"`},
		"nested unknown": {Args{"dest": "/x", "primary": map[string]any{"host": "a.b", "prot": 1}},
			`primary has no argument "prot"; did you mean ` + "`port`?"},
		"list of structs": {Args{"dest": "/x", "mirrors": []any{map[string]any{"host": "a.b"}, "x"}},
			"argument mirrors[1]: want a mapping, got a string"},
		"nested type": {Args{"dest": "/x", "primary": "dash"}, "argument primary: want a mapping, got a string"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Decode[sampleOptions](c.args)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want it to say %q", err, c.want)
			}
		})
	}
}

// ferry validate checks literal values, nested ones too, and leaves a
// template for Bind; Bind checks the rendered value the same way.
func TestOptionsValidateLiteralsBindTemplates(t *testing.T) {
	spec := Spec{Name: "sample", Args: OptionsOf[sampleOptions]()}
	errs := spec.Validate(map[string]any{"dest": "{{ d }}", "timeout": "{{ t }}",
		"primary": map[string]any{"host": "{{ h }}", "port": 70000}})
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "port 70000 is not a TCP port") {
		t.Errorf("validate: %v, want only the nested literal port refused", errs)
	}
	var argErr *ArgError
	if len(errs) == 1 && (!errors.As(errs[0], &argErr) || argErr.Arg != "primary") {
		t.Errorf("the error is placed at %v, want primary's line", errs[0])
	}
	if errs := spec.Validate(map[string]any{"dest": "/x", "primary": "{{ p }}", "mirrors": []any{"{{ m }}"}}); len(errs) != 0 {
		t.Errorf("validate refused templates: %v", errs)
	}
	if _, err := spec.Bind(map[string]any{"dest": "/x", "timeout": "0"}); err == nil || !strings.Contains(err.Error(), "timeout is 0") {
		t.Errorf("bind of a rendered timeout 0: %v", err)
	}
}

func TestOptionsNestedSecretsDocAndSchema(t *testing.T) {
	spec := Spec{Name: "sample", Summary: "s", Args: OptionsOf[sampleOptions]()}
	secrets := spec.SecretArgs(map[string]any{"password": "pw",
		"primary": map[string]any{"host": "a", "token": "t1"},
		"mirrors": []any{map[string]any{"host": "b", "token": "t2"}}})
	if !reflect.DeepEqual(secrets, []string{"pw", "t1", "t2"}) {
		t.Errorf("secrets %q, want the nested tokens too", secrets)
	}
	doc := Doc(spec)
	for _, row := range []string{"primary.host", "primary.token", "mirrors[].port"} {
		if !strings.Contains(doc, "\n"+row+" ") {
			t.Errorf("ferry doc has no row %s:\n%s", row, doc)
		}
	}
	props := ArgsSchema(spec)["properties"].(map[string]any)
	primary := props["primary"].(map[string]any)["anyOf"].([]any)[0].(map[string]any)
	if primary["additionalProperties"] != false || !reflect.DeepEqual(primary["required"], []string{"host"}) {
		t.Errorf("schema of primary: %v", primary)
	}
}

type upperName string

func (upperName) CheckOption(v any) error {
	if s := fmt.Sprint(v); s != strings.ToUpper(s) {
		return fmt.Errorf("name %q is not upper case", s)
	}
	return nil
}

type typedOptions struct {
	Name    upperName      `opt:"name"`
	Codes   []int          `opt:"codes"`
	Words   []string       `opt:"words"`
	Headers map[string]any `opt:"headers" default:"{}"`
}

// A field type's own rule (OptionValue) is checked wherever the type is
// used; list items are read as the field's element type.
func TestDecodeFieldTypes(t *testing.T) {
	if _, err := Decode[typedOptions](Args{"name": "low"}); err == nil || !strings.Contains(err.Error(), `name "low" is not upper case`) {
		t.Errorf("a lower-case name: %v", err)
	}
	o, err := Decode[typedOptions](Args{"name": "UP", "codes": []any{200, " 201"}, "words": []any{1, true, "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if o.Name != "UP" || !reflect.DeepEqual(o.Codes, []int{200, 201}) || !reflect.DeepEqual(o.Words, []string{"1", "true", "x"}) {
		t.Errorf("decoded %+v", o)
	}
}

// A list or mapping default is each task's own: a module that changes it
// (uri adds Content-Type to headers) does not change the next task's.
func TestDefaultsAreNotShared(t *testing.T) {
	first, _ := Decode[typedOptions](Args{})
	first.Headers["Content-Type"] = "text/plain"
	second, _ := Decode[typedOptions](Args{})
	if len(second.Headers) != 0 {
		t.Errorf("the second task's headers default is %v: the first task's change leaked", second.Headers)
	}
}

// A module with free argument names gets its declared options decoded and
// the rest as given.
func TestDecodeDynamic(t *testing.T) {
	type dyn struct {
		Cacheable bool `opt:"cacheable"`
	}
	o, rest, err := DecodeDynamic[dyn](Args{"cacheable": "yes", "x": 1})
	if err != nil || !o.Cacheable || !reflect.DeepEqual(rest, Args{"x": 1}) {
		t.Errorf("DecodeDynamic = %+v, %v, %v", o, rest, err)
	}
	if _, _, err := DecodeDynamic[dyn](Args{"cacheable": "maybe"}); err == nil {
		t.Error("a bad declared value passed")
	}
}

type checkedGroup struct {
	A string `opt:"a"`
}

func (checkedGroup) OptionChecks() map[string]func(any) error { return nil }

// An embedded group's OptionChecks would be hidden by the outer struct's:
// refused, so that no rule is silently dropped.
func TestEmbeddedOptionChecksRefused(t *testing.T) {
	type outer struct {
		checkedGroup
		B string `opt:"b"`
	}
	defer func() {
		if msg := fmt.Sprint(recover()); !strings.Contains(msg, "embedded checkedGroup has OptionChecks") {
			t.Errorf("panic %q", msg)
		}
	}()
	OptionsOf[outer]()
}

// A list argument given a number is the list of its text, as ansible-core
// 2.14's check_type_list makes it (`status_code: 200` for uri's list of
// ints), then typed as the items are.
func TestListGivenANumber(t *testing.T) {
	spec := Spec{Name: "sample", Args: OptionsOf[sampleOptions]()}
	if errs := spec.Validate(map[string]any{"dest": "/x", "codes": 200}); len(errs) > 0 {
		t.Fatalf("validate: %v", errs)
	}
	args, err := spec.Bind(map[string]any{"dest": "/x", "codes": 204})
	if err != nil {
		t.Fatal(err)
	}
	o, err := Decode[sampleOptions](args)
	if err != nil || !reflect.DeepEqual(o.Codes, []int{204}) {
		t.Errorf("codes %v, %v; want [204]", o.Codes, err)
	}
}

// A mapping option keeps the key order it was given in (Python dicts do,
// and a module shows it: an argument spec's errors, a JSON body).
func TestDecodeKeepsKeyOrder(t *testing.T) {
	type inner struct {
		Spec map[string]any `opt:"spec"`
	}
	type opts struct {
		Body  map[string]any `opt:"body"`
		Inner inner          `opt:"inner"`
	}
	ordered := func(keys ...string) map[string]any {
		m := map[string]any{}
		for _, k := range keys {
			m[k] = 1
		}
		keyorder.Set(m, keys)
		return m
	}
	o, err := Decode[opts](Args{"body": ordered("zeta", "alpha", "mid"), "inner": map[string]any{"spec": ordered("b", "a")}})
	if err != nil {
		t.Fatal(err)
	}
	if got := keyorder.Keys(o.Body); !reflect.DeepEqual(got, []string{"zeta", "alpha", "mid"}) {
		t.Errorf("body keys %v, want the given order", got)
	}
	if got := keyorder.Keys(o.Inner.Spec); !reflect.DeepEqual(got, []string{"b", "a"}) {
		t.Errorf("nested keys %v, want the given order", got)
	}
}
