package modules_test

import (
	"github.com/ferry-sh/ferry/internal/modtest"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/modules"
	_ "github.com/ferry-sh/ferry/modules/all" // the modules the tests run
)

// Every registered module documents itself: a summary and a doc line for
// each argument, and the index lists it.
func TestEveryModuleDocumented(t *testing.T) {
	index := modules.Index()
	for _, name := range modules.Names() {
		spec := modtest.Lookup(t, name).Spec()
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
