// Package corpus measures ferry against ansible-playbook on Ansible content
// written by people outside this project (issue 14's "done means"): the
// public roles mirrored on the development machine, each applied by a small
// playbook (its README's example and its molecule converge) to two fresh
// throw-away Debian roots (internal/rootfs), one per tool, with --check and
// then twice for real; and ferry validate against ansible-playbook
// --syntax-check on every playbook of ansible/ansible-examples.
//
// It is not part of `make test` (the mirrors are not on CI): it runs only
// with FERRY_CORPUS=1, and skips saying so otherwise. It writes the results
// as Markdown tables to $FERRY_CORPUS_OUT (default: results.md beside this
// file), which docs/corpus.md quotes and explains. A difference is reported
// in the table and in the test log; it does not fail the test, which
// measures rather than guards (the comparison tests in the repository guard
// each fixed gap).
package corpus

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/rootfs"
)

// mirrors is where the public repositories are mirrored (bare git).
func mirrors() string {
	if d := os.Getenv("FERRY_CORPUS_MIRRORS"); d != "" {
		return d
	}
	return "/work/.mirror"
}

func enabled(t *testing.T) {
	if os.Getenv("FERRY_CORPUS") == "" {
		t.Skip("the corpus runs only with FERRY_CORPUS=1 (it needs the mirrored public roles, absent on CI)")
	}
}

// results collects the tables' rows across the tests.
var results struct {
	sync.Mutex
	sections map[string][]string
}

func addRow(section, row string) {
	results.Lock()
	defer results.Unlock()
	if results.sections == nil {
		results.sections = map[string][]string{}
	}
	results.sections[section] = append(results.sections[section], row)
}

// TestMain writes the tables once every test has run.
func TestMain(m *testing.M) {
	code := m.Run()
	if len(results.sections) > 0 {
		out := os.Getenv("FERRY_CORPUS_OUT")
		if out == "" {
			_, file, _, _ := runtime.Caller(0)
			out = filepath.Join(filepath.Dir(file), "results.md")
		}
		if err := os.WriteFile(out, []byte(tables()), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// headers are each section's table header.
var headers = map[string]string{
	"roles":       "| playbook | round | ferry recap | ansible-playbook recap | same | first difference |\n|---|---|---|---|---|---|\n",
	"examples":    "| playbook | ferry validate | ansible-playbook --syntax-check | same | ferry's first error |\n|---|---|---|---|---|\n",
	"devops":      "| playbook | ferry validate | ansible-playbook --syntax-check | same | ferry's first error |\n|---|---|---|---|---|\n",
	"lint":        "| playbook | ferry validate | ansible-playbook --syntax-check | same | ferry's first error |\n|---|---|---|---|---|\n",
	"inventories": "| inventory | ferry inventory --list | ansible-inventory --list | same | first difference |\n|---|---|---|---|---|\n",
	"plays":       "| playbook | ferry validate | ansible-playbook --syntax-check | same | ferry's first error |\n|---|---|---|---|---|\n",
	"plays-runs":  "| playbook | round | ferry recap | ansible-playbook recap | same | first difference |\n|---|---|---|---|---|---|\n",
	"devops-runs": "| playbook | round | ferry recap | ansible-playbook recap | same | first difference |\n|---|---|---|---|---|---|\n",
}

func tables() string {
	var b strings.Builder
	order := []string{"roles", "examples", "devops", "devops-runs", "lint", "inventories"}
	for _, s := range slices.Sorted(maps.Keys(results.sections)) {
		if !slices.Contains(order, s) {
			order = append(order, s) // a repository's own table: "plays/REPO"
		}
	}
	for _, s := range order {
		rows := results.sections[s]
		if len(rows) == 0 {
			continue
		}
		kind, _, _ := strings.Cut(s, "/")
		fmt.Fprintf(&b, "## %s\n\n%s", s, headers[kind])
		for _, r := range slices.Sorted(slices.Values(rows)) {
			b.WriteString(r + "\n")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// extract writes the tree of a mirrored repository's HEAD into dir,
// leaving out the blobs the mirror does not hold (large files).
func extract(t *testing.T, repo, dir string) {
	t.Helper()
	git := filepath.Join(mirrors(), repo, "repo")
	if _, err := os.Stat(git); err != nil {
		t.Skipf("%s is not mirrored: %v", repo, err)
	}
	tree, err := exec.Command("git", "-C", git, "ls-tree", "-r", "-z", "HEAD").Output() // -z: names unquoted
	if err != nil {
		t.Fatalf("git ls-tree %s: %v", repo, err)
	}
	args := []string{"-C", git, "archive", "HEAD", "--"}
	for _, line := range strings.Split(strings.TrimSuffix(string(tree), "\x00"), "\x00") {
		meta, path, _ := strings.Cut(line, "\t")
		fields := strings.Fields(meta)
		if len(fields) == 3 && fields[1] == "blob" && exec.Command("git", "-C", git, "cat-file", "-e", fields[2]).Run() == nil {
			args = append(args, path)
		}
	}
	archive := exec.Command("git", args...)
	untar := exec.Command("tar", "-x", "-C", dir)
	var err2 bytes.Buffer
	untar.Stdin, _ = archive.StdoutPipe()
	untar.Stderr, archive.Stderr = &err2, &err2
	if err := untar.Start(); err != nil {
		t.Fatal(err)
	}
	if err := archive.Run(); err != nil {
		t.Fatalf("git archive %s: %v\n%s", repo, err, err2.String())
	}
	if err := untar.Wait(); err != nil {
		t.Fatalf("tar: %v\n%s", err, err2.String())
	}
}

// ansibleCmd is ansible-playbook run with ansible-core's interpreter, with
// its temporary files under home.
func ansibleCmd(t *testing.T, dir string, args ...string) *exec.Cmd {
	t.Helper()
	bin, err := exec.LookPath("ansible-playbook")
	if err != nil {
		t.Fatalf("ansible-playbook: %v", err)
	}
	cmd := exec.Command("/usr/bin/python3", append([]string{bin}, args...)...)
	cmd.Dir = dir
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "ANSIBLE_NOCOLOR=1", "ANSIBLE_LOCAL_TEMP="+home, "ANSIBLE_RETRY_FILES_ENABLED=0",
		"ANSIBLE_COLLECTIONS_PATH="+ansiblecmp.CollectionsPath())
	return cmd
}

// ferryBin builds ferry once for the tests that run its command line.
var ferryBin = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "ferry-corpus")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "ferry")
	_, file, _, _ := runtime.Caller(0)
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/ferry")
	cmd.Dir = filepath.Join(filepath.Dir(file), "..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// run runs cmd and returns its exit code and combined output.
func run(cmd *exec.Cmd) (int, string) {
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		return -1, err.Error()
	}
	return 0, string(out)
}

// firstLine is the first line of s that says something, clipped for a table.
func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "[WARNING]") || strings.HasPrefix(l, "ERROR: ") && strings.HasSuffix(l, "errors:") {
			continue
		}
		if len(l) > 160 {
			l = l[:160] + "…"
		}
		return strings.ReplaceAll(l, "|", "\\|")
	}
	return ""
}

// startRoots boots the two throw-away roots of one comparison.
func startRoots(t *testing.T) (ours, theirs *rootfs.Host) {
	return rootfs.Start(t), rootfs.Start(t)
}
