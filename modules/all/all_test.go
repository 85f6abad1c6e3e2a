package all

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const modulePath = "github.com/ferry-sh/ferry/modules"

// modulePackages returns the packages under modules/ whose code calls
// Register (module packages, as opposed to library packages), each with the
// packages under modules/ it imports.
func modulePackages(t *testing.T) map[string][]string {
	t.Helper()
	imports := map[string][]string{}
	registers := map[string]bool{}
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "all") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, src, parser.ImportsOnly)
		if err != nil {
			return err
		}
		pkg := modulePath + strings.TrimPrefix(filepath.ToSlash(filepath.Dir(path)), "..")
		registers[pkg] = registers[pkg] || strings.Contains(string(src), "Register(")
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); strings.HasPrefix(p, modulePath+"/") {
				imports[pkg] = append(imports[pkg], p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	found := map[string][]string{}
	for pkg, ok := range registers {
		if ok {
			found[pkg] = imports[pkg]
		}
	}
	return found
}

// TestEveryModulePackageIsLinked: a module package that all.go forgets would
// build and pass its own tests, yet `ferry` would not know the module.
func TestEveryModulePackageIsLinked(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "all.go", nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	var linked []string
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		linked = append(linked, p)
	}
	for pkg := range modulePackages(t) {
		if !slices.Contains(linked, pkg) {
			t.Errorf("%s registers a module but modules/all/all.go does not import it: add `_ %q`", pkg, pkg)
		}
	}
}

// TestNoModuleImportsAnother: shared code lives in library packages (no
// Register call) or the framework, so modules stay independent.
func TestNoModuleImportsAnother(t *testing.T) {
	pkgs := modulePackages(t)
	for pkg, imports := range pkgs {
		for _, imp := range imports {
			if _, isModule := pkgs[imp]; isModule {
				t.Errorf("module package %s imports module package %s: move what they share to a library package", pkg, imp)
			}
		}
	}
}
