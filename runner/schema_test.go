package runner

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// compiledSchema compiles Schema() as an editor would load it: through
// JSON, with a validator that is not ours.
func compiledSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	text, err := json.Marshal(Schema())
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(text)))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("playbook.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("playbook.json")
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	return s
}

func yamlDoc(t *testing.T, text string) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(text), &v); err != nil {
		t.Fatal(err)
	}
	// Through JSON, as an editor sees the document (integers as numbers).
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The shipped playbooks conform to the schema, and a playbook with a bad
// argument, a bad choice or a malformed address does not.
func TestSchemaAcceptsTheShippedPlaybooksAndRefusesBadArguments(t *testing.T) {
	s := compiledSchema(t)
	files, _ := filepath.Glob("../playbooks/dash-enterprise*.yml")
	files = append(files, "../playbooks/examples/demo/demo.yml")
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc := yamlDoc(t, string(text))
		if _, isList := doc.([]any); !isList {
			continue // a vars file
		}
		if err := s.Validate(doc); err != nil {
			t.Errorf("%s does not conform: %v", f, err)
		}
	}
	for _, bad := range []string{
		"- hosts: all\n  tasks:\n    - kurl: {bundle: /b, workdir: /w, privat_address: 10.0.0.1}\n",
		"- hosts: all\n  tasks:\n    - kurl: {bundle: relative, workdir: /w}\n",
		"- hosts: all\n  tasks:\n    - kurl: {bundle: /b, workdir: /w, private_address: not-an-ip}\n",
		"- hosts: all\n  tasks:\n    - file: {path: /x, state: dir}\n",
		"- hosts: all\n  tasks:\n    - block:\n        - wait_for: {port: [1]}\n",
		"- hosts: all\n  tasks:\n    - debug: {msg: x}\n      wehn: x\n",
	} {
		if err := s.Validate(yamlDoc(t, bad)); err == nil {
			t.Errorf("the schema accepts:\n%s", bad)
		}
	}
	ok := "- hosts: all\n  tasks:\n    - kurl: {bundle: \"{{ b }}\", workdir: /w, private_address: 10.0.0.1, timeout: 60}\n    - command: ls -l\n"
	if err := s.Validate(yamlDoc(t, ok)); err != nil {
		t.Errorf("the schema refuses a good playbook: %v", err)
	}
}
