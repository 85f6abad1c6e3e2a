package inventory

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// seedFiles adds every inventory file under testdata with the given
// extensions (or none) to the corpus.
func seedFiles(f *testing.F, match func(path string) bool) {
	f.Helper()
	_ = filepath.WalkDir("testdata", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !match(path) {
			return nil
		}
		if data, err := os.ReadFile(path); err == nil {
			f.Add(string(data))
		}
		return nil
	})
}

func isINIFile(path string) bool {
	ext := filepath.Ext(path)
	return !strings.Contains(path, "_vars") && (ext == ".ini" || ext == "") && !strings.HasSuffix(path, ".golden.json")
}

func isYAMLFile(path string) bool {
	ext := filepath.Ext(path)
	return ext == ".yml" || ext == ".yaml" || ext == ".json"
}

// checkInventory asserts the invariants every successfully loaded inventory
// keeps, and that every output path works.
func checkInventory(t *testing.T, inv *Inventory) {
	t.Helper()
	hosts := inv.Hosts()
	seen := map[string]bool{}
	for _, h := range hosts {
		if seen[h.Name] {
			t.Fatalf("host %q listed twice", h.Name)
		}
		seen[h.Name] = true
		inv.HostVars(h.Name)
		if len(inv.GroupNames(h.Name)) == 0 {
			t.Fatalf("host %q is in no group (should at least be ungrouped)", h.Name)
		}
	}
	if len(seen) != len(inv.hosts) {
		t.Fatalf("all has %d hosts, the inventory %d", len(seen), len(inv.hosts))
	}
	if _, err := inv.ListJSON(); err != nil {
		t.Fatalf("ListJSON: %v", err)
	}
	if _, err := inv.Graph("all"); err != nil {
		t.Fatalf("Graph: %v", err)
	}
	all, _ := inv.Match("all")
	if len(all) != len(hosts) && len(hosts) > 0 {
		t.Fatalf("Match(all) = %d hosts, Hosts() = %d", len(all), len(hosts))
	}
}

// fuzzParse runs a parser on content in memory (no files, so that the fuzzer
// stays fast), then checks the resulting inventory.
func fuzzParse(t *testing.T, file, content string, parse func(*Inventory, string, []byte) error) {
	inv := newInventory()
	if err := parse(inv, file, []byte(content)); err != nil {
		// Every error must name the file.
		for _, line := range strings.Split(err.Error(), "\n") {
			if !strings.HasPrefix(line, file+":") {
				t.Fatalf("error line without the file name: %q", line)
			}
		}
		return
	}
	inv.reconcile()
	if len(inv.hosts) <= 5000 { // keep each run fast; big range expansions are valid
		checkInventory(t, inv)
	}
}

func FuzzParseINI(f *testing.F) {
	seedFiles(f, isINIFile)
	f.Add("h1 a=1 b='x y' c=[1,2]\n[g]\nh[1:3]\n[g:vars]\nv={'a': (1, 2)}\n[p:children]\ng\n")
	f.Fuzz(func(t *testing.T, content string) {
		fuzzParse(t, "hosts.ini", content, func(inv *Inventory, file string, data []byte) error {
			return parseINI(inv, file, data, false)
		})
	})
}

func FuzzParseYAML(f *testing.F) {
	seedFiles(f, isYAMLFile)
	f.Add("all:\n  hosts:\n    a[1:2]:\n      x: !secret s\n  children:\n    g: {hosts: b}\n")
	f.Fuzz(func(t *testing.T, content string) {
		fuzzParse(t, "inv.yml", content, func(inv *Inventory, file string, data []byte) error {
			return parseYAMLInventory(inv, inv.reader().converter(file, data, false), data)
		})
	})
}

// FuzzHostRange checks that a range either fails or expands to exactly the
// product of its parts, none of them holding a bracket; and that a numeric
// range built from the fuzzed numbers has the size arithmetic predicts.
func FuzzHostRange(f *testing.F) {
	for _, s := range []string{"web[01:10].example.com", "db-[a:c]", "n[1:10:2]", "r[1:2]-[a:b]", "x[3:1]", "x[", "x]", "[:]"} {
		f.Add(s, uint16(1), uint16(5), uint8(1))
	}
	f.Fuzz(func(t *testing.T, pattern string, from, to uint16, step uint8) {
		names, err := ExpandHostRange(pattern)
		if err == nil {
			for _, n := range names {
				if strings.Contains(n, "[") && strings.Count(pattern, "[") > 0 {
					t.Fatalf("ExpandHostRange(%q) left a bracket in %q", pattern, n)
				}
			}
			if !strings.Contains(pattern, "[") && !reflect.DeepEqual(names, []string{pattern}) {
				t.Fatalf("a name without a range must stay as is: %q -> %q", pattern, names)
			}
		}
		spec := fmt.Sprintf("h[%d:%d:%d]", from, to, step)
		names, err = ExpandHostRange(spec)
		switch {
		case step == 0 || from > to:
			if err == nil {
				t.Fatalf("ExpandHostRange(%q) should fail", spec)
			}
		case err != nil:
			t.Fatalf("ExpandHostRange(%q): %v", spec, err)
		case len(names) != (int(to)-int(from))/int(step)+1:
			t.Fatalf("ExpandHostRange(%q) gave %d names", spec, len(names))
		case names[0] != fmt.Sprintf("h%d", from):
			t.Fatalf("ExpandHostRange(%q) starts at %q", spec, names[0])
		}
	})
}

// FuzzParseINIValue checks that typing never panics and that a string typed
// back as a Python repr round-trips.
func FuzzParseINIValue(f *testing.F) {
	for _, s := range []string{"22", "True", "[1, 'a', (2,)]", "{'k': None}", "'x'", "0x1f", "1e3", "two words"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := parseINIValue(s)
		if str, ok := v.(string); ok && !strings.ContainsAny(str, "'\\\n\r") {
			if back := parseINIValue("'" + str + "'"); back != str {
				t.Fatalf("quoted %q typed as %#v", str, back)
			}
		}
	})
}
