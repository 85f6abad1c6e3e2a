package all

import (
	"go/ast"
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
		if d.IsDir() || filepath.Dir(path) == ".." || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil // the framework (package modules) defines Register; it registers nothing
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

// TestFrameworkRegistersNoModule: package modules is the framework only.
// Its code can open Host's sealed connection, so a module written there
// could change a host outside the gate; every module lives in a package of
// its own, which sees only the framework's exported API.
func TestFrameworkRegistersNoModule(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok {
				if id, ok := call.Fun.(*ast.Ident); ok && id.Name == "Register" {
					t.Errorf("%s: package modules registers a module; move it to a module package (modules/<family>) so that it cannot reach the connection", fset.Position(call.Pos()))
				}
			}
			return true
		})
	}
}

// reachesAroundTheGate are the imports that would give a module package a
// way to a host other than Host's probes and the gate's Writer: the
// runner's connections, an SSH or SFTP client of its own, a local process
// (on a local connection, the host itself), or unsafe to open SealedConn.
var reachesAroundTheGate = []string{
	"github.com/ferry-sh/ferry/runner",
	"github.com/ferry-sh/ferry/internal/sshtest",
	"golang.org/x/crypto/ssh",
	"github.com/pkg/sftp",
	"os/exec",
	"unsafe",
}

// TestModulePackagesReachHostsOnlyThroughTheFramework: no package under
// modules/ but the framework imports a way around the gate. Their tests may
// (they start sshd and run commands to check effects).
func TestModulePackagesReachHostsOnlyThroughTheFramework(t *testing.T) {
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if d.IsDir() || filepath.Dir(path) == ".." || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range reachesAroundTheGate {
				if p == bad || strings.HasPrefix(p, bad+"/") {
					t.Errorf("%s imports %s: a module reaches its host only through *modules.Host's probes and the gate's Writer", path, p)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
