package main

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
)

// TestCompareLanguage runs each case of runner/testdata/lang (a directory
// with site.yml, and roles/, task files, vars files beside it) through ferry
// and checks its recap, exit code and effects against ansible-playbook's on
// the same input: the effects are the messages the tasks print (sorted, as
// hosts finish in any order) and the files they write under workdir. The
// expected values are in each case's golden file, made from ansible-playbook
// (FERRY_UPDATE_GOLDEN=1 writes them); ansible-playbook is run too, so that
// a golden file that no longer matches it is caught.
func TestCompareLanguage(t *testing.T) {
	root := filepath.Join("..", "..", "runner", "testdata", "lang")
	inv, _ := filepath.Abs(filepath.Join("..", "..", "runner", "testdata", "compare", "inventory.ini"))
	cases, _ := filepath.Glob(filepath.Join(root, "*", "site.yml"))
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	for _, pb := range cases {
		dir := filepath.Dir(pb)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			c := comparison{dir: dir, playbook: "site.yml", inventory: inv, args: caseArgs(t, dir)}
			collections := caseCollections(t, dir)
			if collections != nil {
				c.env = []string{"ANSIBLE_COLLECTIONS_PATH=" + ansiblecmp.CollectionsPath()}
			}
			live := func() (string, bool) {
				if collections != nil && !ansiblecmp.CanRunLive(collections) {
					return "", false // compared with the golden file alone
				}
				code, stdout, work, ran := c.ansible(t)
				return outcome(code, stdout, work), ran
			}
			want := expected(t, filepath.Join(dir, "golden"), live)
			code, stdout, stderr, work := c.ferry(t)
			if got := outcome(code, stdout, work); got != want {
				t.Errorf("ferry differs from ansible-playbook\nferry:\n%s\nansible-playbook:\n%s\nferry's output:\n%s%s", got, want, stdout, stderr)
			}
			if got, ran := live(); ran && got != want {
				t.Errorf("golden file %s no longer matches ansible-playbook:\n%s", filepath.Join(dir, "golden"), got)
			}
		})
	}
}

// caseArgs are the extra command-line arguments of a case (file args),
// where DIR is the case's directory.
func caseArgs(t *testing.T, dir string) []string {
	data, err := os.ReadFile(filepath.Join(dir, "args"))
	if os.IsNotExist(err) {
		return nil
	}
	must(t, err)
	abs, err := filepath.Abs(dir)
	must(t, err)
	return strings.Fields(strings.ReplaceAll(string(data), "DIR", abs))
}

// caseCollections are the Ansible collections a case needs (its file
// collections.txt: community.general for its lookups), which
// tools/collections/install.sh puts where ansible-playbook is told to look.
// Where they are not installed, ferry is compared with the golden file alone.
func caseCollections(t *testing.T, dir string) []string {
	data, err := os.ReadFile(filepath.Join(dir, "collections.txt"))
	if os.IsNotExist(err) {
		return nil
	}
	must(t, err)
	return strings.Fields(string(data))
}

var msgLine = regexp.MustCompile(`^\s*"msg": (.*)$`)

// outcome is what the comparison looks at: exit code, recap, the printed
// messages (sorted) and the files written under work.
func outcome(code int, stdout, work string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "exit: %d\n%s\n", code, recapLines(stdout))
	var msgs []string
	for _, l := range strings.Split(stdout, "\n") {
		if m := msgLine.FindStringSubmatch(l); m != nil {
			msgs = append(msgs, "msg: "+strings.ReplaceAll(m[1], work, "WORKDIR"))
		}
	}
	sort.Strings(msgs)
	for _, m := range msgs {
		b.WriteString(m + "\n")
	}
	filepath.WalkDir(work, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, _ := os.ReadFile(path)
		rel, _ := filepath.Rel(work, path)
		fmt.Fprintf(&b, "file: %s %x\n", rel, sha256.Sum256(data))
		return nil
	})
	return b.String()
}
