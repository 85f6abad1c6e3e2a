package corpus

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestExamples runs ferry validate and ansible-playbook --syntax-check on
// every playbook of ansible/ansible-examples, each with its example's
// inventory (the `hosts` file beside it) when there is one.
func TestExamples(t *testing.T) {
	enabled(t)
	dir := t.TempDir()
	extract(t, "ansible+ansible-examples", dir)
	bin, err := ferryBin()
	if err != nil {
		t.Fatal(err)
	}
	for _, pb := range playbooks(t, dir) {
		rel, _ := filepath.Rel(dir, pb)
		inv := inventoryFor(t, dir, pb)
		cmd := exec.Command(bin, "validate", "-i", inv, pb)
		cmd.Dir = filepath.Dir(pb)
		fc, fout := run(cmd)
		ac, aout := run(ansibleCmd(t, filepath.Dir(pb), "--syntax-check", "-i", inv, pb))
		first := ""
		if fc != 0 {
			first = firstLine(strings.ReplaceAll(fout, dir+"/", ""))
		}
		if (fc == 0) != (ac == 0) {
			t.Errorf("%s: ferry validate exit %d, ansible-playbook --syntax-check exit %d\nferry:\n%s\nansible-playbook:\n%s", rel, fc, ac, fout, aout)
		}
		addRow("examples", fmt.Sprintf("| %s | exit %d | exit %d | %s | %s |", rel, fc, ac, yesNo((fc == 0) == (ac == 0)), first))
	}
}

// playbooks are the YAML files whose top level is a list of plays (a
// mapping with hosts, import_playbook or include).
func playbooks(t *testing.T, dir string) []string {
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".yml") || strings.HasSuffix(path, ".yaml")) {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var plays []map[string]any
		if yaml.Unmarshal(data, &plays) != nil || len(plays) == 0 {
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

// inventoryFor is the example's own inventory (hosts beside the playbook or
// in a parent directory of it), or one with only localhost.
func inventoryFor(t *testing.T, top, playbook string) string {
	for d := filepath.Dir(playbook); strings.HasPrefix(d, top); d = filepath.Dir(d) {
		if st, err := os.Stat(filepath.Join(d, "hosts")); err == nil && !st.IsDir() {
			return filepath.Join(d, "hosts")
		}
	}
	inv := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(inv, []byte("localhost ansible_connection=local\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return inv
}
