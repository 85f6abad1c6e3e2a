package modules_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/modules"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestDocGolden(t *testing.T) {
	for _, name := range []string{"copy", "command"} {
		m, _ := modules.Lookup(name)
		got := modules.Doc(m.Spec())
		golden := filepath.Join("testdata", "doc_"+name+".golden")
		if *update {
			if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test ./modules -run TestDocGolden -update to create it)", err)
		}
		if got != string(want) {
			t.Errorf("doc for %s differs from %s (rerun with -update after checking):\n%s", name, golden, got)
		}
	}
}

// Every registered module documents itself: a summary and a doc line for
// each argument, and the index lists it.
func TestEveryModuleDocumented(t *testing.T) {
	index := modules.Index()
	for _, name := range modules.Names() {
		spec := mustLookup(t, name).Spec()
		if spec.Summary == "" {
			t.Errorf("%s has no summary", name)
		}
		for _, a := range spec.Args {
			if a.Doc == "" {
				t.Errorf("%s argument %s has no doc", name, a.Name)
			}
		}
		if !strings.Contains(index, name+" ") {
			t.Errorf("index does not list %s", name)
		}
	}
}

func mustLookup(t *testing.T, name string) modules.Module {
	m, ok := modules.Lookup(name)
	if !ok {
		t.Fatalf("no module %s", name)
	}
	return m
}
