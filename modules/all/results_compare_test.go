package all_test

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/rootfs"
	"github.com/ferry-sh/ferry/internal/sshtest"
)

// TestResultsAgainstAnsible registers one typical call of each module that
// ferry shares with ansible-core 2.14 (testdata/results.yml) with ferry and
// with ansible-playbook on the same sshd host, and compares what a playbook
// sees of it: the registered dict's keys in their order and each value's
// type (the "NAME keys" task prints them with dict2items and type_debug).
// What cannot be made equal is in unequal, with why.
func TestResultsAgainstAnsible(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/json" {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"name": "ferry", "n": 1}`)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "file content\n")
	}))
	t.Cleanup(web.Close)
	playbook, _ := filepath.Abs(filepath.Join("testdata", "results.yml"))
	f, a, ran := ansiblecmp.Both(t, ansiblecmp.Run{Playbook: playbook, Server: srv, Hosts: map[string]int{"node": 0},
		ExtraVars: map[string]string{"base": web.URL}, Setup: resultsInputs})
	if !ran {
		return
	}
	sameShapes(t, f, a, "node", 40)
}

// TestRootResultsAgainstAnsible is TestResultsAgainstAnsible for the
// modules that change a whole system, each tool on its own throw-away root
// (testdata/results-root.yml).
func TestRootResultsAgainstAnsible(t *testing.T) {
	ours, theirs := rootfs.Start(t), rootfs.Start(t)
	playbook, _ := filepath.Abs(filepath.Join("testdata", "results-root.yml"))
	f := ansiblecmp.Ferry(t, ansiblecmp.Run{Playbook: playbook, Inventory: ours.Inventory(t)})
	a, ran := ansiblecmp.Ansible(t, ansiblecmp.Run{Playbook: playbook, Inventory: theirs.Inventory(t)})
	if !ran {
		return
	}
	sameShapes(t, f, a, "target", 12)
}

// sameShapes compares the "NAME keys" tasks' lines of the two runs on host
// (at least want of them), and the " fields" tasks' messages.
func sameShapes(t *testing.T, f, a ansiblecmp.Outcome, host string, want int) {
	t.Helper()
	ansiblecmp.SameRecap(t, f, a)
	if a.Exit != 0 {
		t.Fatalf("ansible-playbook exited %d:\n%s", a.Exit, a.Output)
	}
	compared := 0
	for _, task := range a.Tasks {
		if strings.HasSuffix(task.Name, " fields") { // a nested dict's keys in order
			ansiblecmp.SameFields(t, f, a, task.Name, host, "msg")
		}
		module, ok := strings.CutSuffix(task.Name, " keys")
		if !ok {
			continue
		}
		compared++
		want := shapeOf(t, a, task.Name, module, host)
		if got := shapeOf(t, f, task.Name, module, host); got != want {
			t.Errorf("%s registers\n  ferry:   %s\n  ansible: %s", module, got, want)
		}
	}
	if compared < want {
		t.Errorf("compared %d results, want %d", compared, want)
	}
}

// unequal are the keys left out of the comparison, per task, and why;
// anyOrder compares a task's keys as a set.
var unequal = map[string][]string{
	// bytes_transferred is ferry's (resumed transfers send less).
	"unit file": {"bytes_transferred"},
	"copy":      {"bytes_transferred"}, "template": {"bytes_transferred"},
	"copy again": {"bytes_transferred"}, "template again": {"bytes_transferred"}, "copy mode": {"bytes_transferred"},
	// ferry keeps async jobs itself: there is no results file on the host.
	"async start": {"results_file"}, "async_status": {"results_file"},
	// Go's HTTP client does not hand over the Connection header.
	"uri": {"connection"},
	// Ansible's src is its temporary file on the host; ferry writes dest
	// in place.
	"get_url": {"src", "bytes_transferred"},
}

const anyOrder = "(any order)"

// ansibleTypes are the names type_debug gives Ansible's own classes for
// the Python types they stand for.
var ansibleTypes = regexp.MustCompile(`:(AnsibleUnsafeText|AnsibleUnicode|AnsibleUnsafeBytes)\b`)

// shapeOf is the "key:type ..." line a keys task printed, without the keys
// that unequal leaves out for module.
func shapeOf(t *testing.T, o ansiblecmp.Outcome, task, module, host string) string {
	t.Helper()
	msg, _ := o.Result(t, task, host)["msg"].(string)
	msg = ansibleTypes.ReplaceAllString(msg, ":str")
	var keep []string
	for _, kv := range strings.Fields(msg) {
		key, _, _ := strings.Cut(kv, ":")
		if !slices.Contains(unequal[module], key) {
			keep = append(keep, kv)
		}
	}
	if slices.Contains(unequal[module], anyOrder) {
		slices.Sort(keep)
	}
	return strings.Join(keep, " ")
}

// resultsInputs writes what the playbook's modules read in the work
// directory: a text file, a script, a template, a vars file and a tar.gz.
func resultsInputs(t testing.TB, dir string) {
	t.Helper()
	files := map[string]string{"a.txt": "a=1\n", "s.sh": "#!/bin/sh\necho script\n", "t.j2": "n={{ 1 + 1 }}\n", "v.yml": "v: 1\n"}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "un"), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(filepath.Join(dir, "app.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	z := gzip.NewWriter(out)
	tw := tar.NewWriter(z)
	body := "hi\n"
	if err := tw.WriteHeader(&tar.Header{Name: "app.txt", Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(tw, body)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
}
