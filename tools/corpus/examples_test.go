package corpus

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestExamples runs ferry validate and ansible-playbook --syntax-check on
// every playbook of ansible/ansible-examples, each with its example's
// inventory (the `hosts` file beside it) when there is one, else one with
// only localhost (a play whose hosts match nothing is part of the measure).
func TestExamples(t *testing.T) {
	enabled(t)
	syntaxCorpus(t, "ansible+ansible-examples", "", "examples", false)
}

// TestDevops does the same on geerlingguy/ansible-for-devops, the book's
// examples: a playbook without an inventory of its own gets one naming the
// groups its plays name, each with one local host, as its reader would
// write.
func TestDevops(t *testing.T) {
	enabled(t)
	syntaxCorpus(t, "geerlingguy+ansible-for-devops", "", "devops", true)
}

// TestLintExamples does the same on ansible-lint's examples/playbooks:
// playbooks written to show each lint rule, most of them valid Ansible
// (what ansible-playbook refuses, ferry must refuse too).
func TestLintExamples(t *testing.T) {
	enabled(t)
	syntaxCorpus(t, "ansible+ansible-lint", "examples/playbooks", "lint", true)
}

// TestInventories compares ferry inventory --list with ansible-inventory
// --list on every inventory file of the repositories of examples.
func TestInventories(t *testing.T) {
	enabled(t)
	for _, repo := range []string{"ansible+ansible-examples", "geerlingguy+ansible-for-devops", "ansible+ansible-lint"} {
		compareInventories(t, repo, "inventories")
	}
}

// compareInventories compares ferry inventory --list with ansible-inventory
// --list on every static inventory file of a mirrored repository, a row of
// section each.
func compareInventories(t *testing.T, repo, section string) {
	bin, err := ferryBin()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	extract(t, repo, dir)
	for _, inv := range inventoryFiles(t, dir) {
		rel, _ := filepath.Rel(dir, inv)
		fc, fout := run(exec.Command(bin, "inventory", "--list", "-i", inv))
		ac, aout := run(ansibleInventoryCmd(t, filepath.Dir(inv), "--list", "-i", inv))
		diff := jsonDiff(fout, aout)
		if fc != ac || diff != "" {
			t.Errorf("%s: ferry inventory exit %d, ansible-inventory exit %d: %s\nferry:\n%s\nansible-inventory:\n%s", rel, fc, ac, diff, fout, aout)
		}
		addRow(section, fmt.Sprintf("| %s/%s | exit %d | exit %d | %s | %s |", strings.Split(repo, "+")[1], rel, fc, ac, yesNo(fc == ac && diff == ""), diff))
	}
}

// syntaxCorpus compares validate with --syntax-check on every playbook of
// a mirrored repository (under sub, when given), in the directory of its
// ansible.cfg when it has one (the project's root, where its reader runs
// it).
func syntaxCorpus(t *testing.T, repo, sub, section string, generate bool) {
	dir := t.TempDir()
	extract(t, repo, dir)
	bin, err := ferryBin()
	if err != nil {
		t.Fatal(err)
	}
	for _, pb := range playbooks(t, filepath.Join(dir, sub)) {
		rel, _ := filepath.Rel(dir, pb)
		inv := inventoryFor(t, dir, pb, generate)
		cwd := projectDir(dir, pb)
		cmd := exec.Command(bin, "validate", "-i", inv, pb)
		cmd.Dir = cwd
		fc, fout := run(cmd)
		ac, aout := run(ansibleCmd(t, cwd, "--syntax-check", "-i", inv, pb))
		first := ""
		if fc != 0 {
			first = firstLine(strings.ReplaceAll(fout, dir+"/", ""))
		}
		if (fc == 0) != (ac == 0) {
			t.Errorf("%s: ferry validate exit %d, ansible-playbook --syntax-check exit %d\nferry:\n%s\nansible-playbook:\n%s", rel, fc, ac, fout, aout)
		}
		addRow(section, fmt.Sprintf("| %s | exit %d | exit %d | %s | %s |", rel, fc, ac, yesNo((fc == 0) == (ac == 0)), first))
	}
}

// projectDir is the nearest directory above the playbook holding an
// ansible.cfg (its roles_path and inventory are relative to it), else the
// playbook's own directory.
func projectDir(top, playbook string) string {
	for d := filepath.Dir(playbook); strings.HasPrefix(d, top); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "ansible.cfg")); err == nil {
			return d
		}
	}
	return filepath.Dir(playbook)
}

// playbooks are the YAML files whose top level is a list of plays (a
// mapping with hosts, import_playbook or include).
func playbooks(t *testing.T, dir string) []string {
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".yml") || strings.HasSuffix(path, ".yaml")) {
			return err
		}
		plays := readPlays(path)
		if len(plays) == 0 {
			return nil
		}
		for _, k := range []string{"hosts", "import_playbook", "include"} {
			if _, ok := plays[0][k]; ok {
				out = append(out, path)
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// readPlays is a YAML file's top-level list of mappings, nil when it is
// something else.
func readPlays(path string) []map[string]any {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var plays []map[string]any
	if yaml.Unmarshal(data, &plays) != nil {
		return nil
	}
	return plays
}

// inventoryNames are the file names an example's own inventory has
// (inventory_group_structure.yaml: ansible-documentation's getting started).
var inventoryNames = regexp.MustCompile(`^(hosts|inventory)([_-][a-z_-]+)?(\.(ini|yml|yaml|example))?$`)

// inventoryFor is the example's own inventory (an inventory file beside the
// playbook or in a parent directory of it), or, without one, a generated
// inventory: only localhost, or (generate) one naming the groups of the
// playbook's plays.
func inventoryFor(t *testing.T, top, playbook string, generate bool) string {
	for d := filepath.Dir(playbook); strings.HasPrefix(d, top); d = filepath.Dir(d) {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if !e.IsDir() && isInventory(filepath.Join(d, e.Name())) {
				return filepath.Join(d, e.Name())
			}
		}
	}
	text := "localhost ansible_connection=local\n"
	if generate {
		text += groupsOf(playbook)
	}
	inv := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(inv, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return inv
}

// isInventory says whether path is a static inventory file: an example's
// inventory name, and not a script (the dynamic inventories need clouds)
// nor JSON (ansible-lint's inventory.json is the schema of one).
func isInventory(path string) bool {
	name := filepath.Base(path)
	if dir := filepath.Base(filepath.Dir(path)); dir == "group_vars" || dir == "host_vars" || filepath.Base(filepath.Dir(filepath.Dir(path))) == "group_vars" {
		return false // a variables file named after what it configures (workshops' inventory_sources.yml)
	}
	if !inventoryNames.MatchString(name) || strings.HasSuffix(name, ".py") || strings.HasSuffix(name, ".php") || strings.HasSuffix(name, ".json") {
		return false
	}
	st, err := os.Stat(path)
	return err == nil && st.Mode()&0o111 == 0
}

// inventoryFiles are the static inventory files under dir.
func inventoryFiles(t *testing.T, dir string) []string {
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && isInventory(path) {
			out = append(out, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// groupsOf is an INI inventory with a group for each name in the plays'
// host patterns (templated ones and all/localhost left out), each group
// with one local host.
func groupsOf(playbook string) string {
	var names []string
	for _, play := range readPlays(playbook) {
		pattern, _ := play["hosts"].(string)
		if strings.Contains(pattern, "{{") {
			continue
		}
		for _, n := range strings.FieldsFunc(pattern, func(r rune) bool { return r == ',' || r == ':' || r == ' ' }) {
			n = strings.TrimLeft(n, "!&")
			if n != "" && n != "all" && n != "localhost" && !strings.ContainsAny(n, "*?[~") && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "[%s]\n%s-host ansible_connection=local\n", n, n)
	}
	return b.String()
}

// ansibleInventoryCmd is ansible-inventory run with ansible-core's
// interpreter.
func ansibleInventoryCmd(t *testing.T, dir string, args ...string) *exec.Cmd {
	t.Helper()
	bin, err := exec.LookPath("ansible-inventory")
	if err != nil {
		t.Fatalf("ansible-inventory: %v", err)
	}
	cmd := ansibleCmd(t, dir, args...)
	cmd.Args = append([]string{"/usr/bin/python3", bin}, args...)
	return cmd
}

// jsonDiff compares the JSON documents the two commands printed (their
// last line-starting `{` on): "" when equal, else the first top-level
// key whose value differs.
func jsonDiff(ferry, ansible string) string {
	var f, a map[string]any
	if err := json.Unmarshal(jsonPart(ferry), &f); err != nil {
		return "ferry printed no JSON"
	}
	if err := json.Unmarshal(jsonPart(ansible), &a); err != nil {
		return "ansible-inventory printed no JSON"
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range f {
			if !yield(k) {
				return
			}
		}
		for k := range a {
			if _, both := f[k]; !both && !yield(k) {
				return
			}
		}
	})
	for _, k := range keys {
		if !reflect.DeepEqual(f[k], a[k]) {
			fj, _ := json.Marshal(f[k])
			aj, _ := json.Marshal(a[k])
			return fmt.Sprintf("`%s`: ferry %.80s, ansible %.80s", k, fj, aj)
		}
	}
	return ""
}

// jsonPart is the output from its first line that opens a JSON object
// (warnings come before it).
func jsonPart(out string) []byte {
	b := []byte(out)
	if i := bytes.Index(b, []byte("\n{")); i >= 0 && !bytes.HasPrefix(b, []byte("{")) {
		return b[i+1:]
	}
	return b
}
