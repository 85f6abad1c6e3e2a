package runner

import (
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/modules"
	"gopkg.in/yaml.v3"
)

// A bad value inside a nested option is reported at its own line:col, not
// at the line of the argument that holds it.
func TestNestedOptionErrorAtItsOwnLine(t *testing.T) {
	task := `- hosts: all
  tasks:
    - keycloak_user:
        server: dash.example.com
        username: alice
        admin_secret:
          namespace: plotly-system
          %s
`
	for _, c := range []struct{ line, want string }{
		{"nmae: keycloak-secrets", "pb.yml:8:11: argument admin_secret: admin_secret has no argument \"nmae\"; did you mean `name`?"},
		{"password_key: ''", "pb.yml:8:11: argument admin_secret: password_key is empty"},
		{"username_default: [a]", "pb.yml:8:11: argument admin_secret: argument username_default: want a string, got a list"},
	} {
		src := strings.Replace(task, "%s", c.line, 1)
		_, err := ParsePlaybook("pb.yml", t.TempDir(), []byte(src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\n got: %v\nwant: %s", c.line, err, c.want)
		}
	}
}

// In a list of mappings, a problem is placed at the item's key; a missing
// option at its item; a wrong item at the item; a problem of a nested
// mapping inside an item at that mapping's key.
func TestArgErrorPosInsideAListOfMappings(t *testing.T) {
	inner := modules.Arg{Name: "tls", Type: modules.Map, Fields: []modules.Arg{{Name: "port", Type: modules.Int, Kind: modules.PortNumber}}}
	hosts := modules.Arg{Name: "hosts", Type: modules.List, Fields: []modules.Arg{{Name: "name", Type: modules.String, Required: true}, inner}}
	spec := modules.Spec{Name: "m", Args: []modules.Arg{hosts}}
	cases := []struct{ doc, want string }{
		{"hosts:\n  - name: a\n  - name: b\n    nmae: c\n", "4:5"},
		{"hosts:\n  - name: a\n  - tls: {port: 1}\n", "3:5"},
		{"hosts:\n  - name: a\n  - x\n", "3:5"},
		{"hosts:\n  - name: a\n    tls:\n      port: 0\n", "4:7"},
		{"hosts: 3\n", "1:1"},
	}
	for _, c := range cases {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(c.doc), &doc); err != nil {
			t.Fatal(err)
		}
		m := doc.Content[0]
		p := &parser{file: "f.yml"}
		tk := &Task{Pos: Pos{File: "f.yml", Line: 99}, Spec: spec, Args: map[string]any{}, ArgPos: map[string]Pos{}}
		tk.ArgPos["hosts"] = posOf(p.file, m.Content[0])
		p.nestedArgPos(tk.ArgPos, "hosts", hosts, m.Content[1])
		var raw any
		_ = m.Content[1].Decode(&raw)
		errs := spec.Validate(map[string]any{"hosts": raw})
		if len(errs) != 1 {
			t.Fatalf("%q: %v, want one error", c.doc, errs)
		}
		ae, _ := errs[0].(*modules.ArgError)
		if ae == nil {
			t.Fatalf("%q: %T, want an ArgError", c.doc, errs[0])
		}
		pos := argErrorPos(tk, ae)
		if got := strings.TrimPrefix(pos.String(), "f.yml:"); got != c.want {
			t.Errorf("%q: %v (at %q) placed at %s, want %s", c.doc, ae, ae.At, got, c.want)
		}
	}
}
