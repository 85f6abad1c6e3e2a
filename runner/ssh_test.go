package runner

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/ferry-sh/ferry/internal/sshtest"
	"github.com/ferry-sh/ferry/inventory"
	"github.com/ferry-sh/ferry/runner/conn"
)

// sshInventory writes an INI inventory whose hosts are reached over SSH at
// the test servers' addresses, in order: names[i] is the i-th address.
func sshInventory(t *testing.T, groups map[string][]string, hosts map[string]map[string]any) string {
	t.Helper()
	var b strings.Builder
	for _, g := range slices.Sorted(maps.Keys(groups)) {
		fmt.Fprintf(&b, "[%s]\n", g)
		for _, h := range groups[g] {
			b.WriteString(h)
			vars := hosts[h]
			for _, k := range slices.Sorted(maps.Keys(vars)) {
				fmt.Fprintf(&b, " %s=%v", k, vars[k])
			}
			b.WriteString("\n")
		}
	}
	path := filepath.Join(t.TempDir(), "hosts.ini")
	writeFile(t, path, b.String())
	return path
}

// TestComparePlaybooksOverSSH runs the Ansible comparison playbooks against
// real sshd hosts: the recaps must equal ansible-playbook's with local hosts.
func TestComparePlaybooksOverSSH(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{Hosts: 3})
	hosts := map[string]map[string]any{"web1": srv.Vars(0), "web2": srv.Vars(1), "db1": srv.Vars(2)}
	hosts["web1"]["greeting"] = "hello"
	hosts["web2"]["greeting"] = "hello"
	inv := sshInventory(t, map[string][]string{"web": {"web1", "web2"}, "db": {"db1"}}, hosts)
	runs := []string{"basics", "blocks", "facts", "fatal", "maxfail", "judge"}
	for _, name := range runs {
		t.Run(name, func(t *testing.T) {
			g := readGoldenRecap(t, filepath.Join("testdata", "compare", name+".golden"))
			var stdout, stderr bytes.Buffer
			s := &Session{Playbook: filepath.Join("testdata", "compare", name+".yml"), Inventories: []string{inv},
				ExtraVars: []string{"workdir=" + t.TempDir()}, Stdout: &stdout, Stderr: &stderr, Output: "text"}
			code := s.Run(context.Background())
			if code != g.exit {
				t.Errorf("exit %d, want %d\n%s%s", code, g.exit, stdout.String(), stderr.String())
			}
			if got := recapOf(stdout.String()); got != g.recap {
				t.Errorf("recap over SSH:\n%s\nwant (ansible, local):\n%s\n%s", got, g.recap, stdout.String())
			}
		})
	}
	// One connection per host for the whole run, whatever the task count.
	for i := range srv.Addrs {
		if n := srv.Connections(srv.Addrs[i]); n > len(runs) {
			t.Errorf("%s: %d connections for %d runs, want one per run", srv.Addrs[i], n, len(runs))
		}
	}
}

type goldenRecap struct {
	exit  int
	recap string
}

func readGoldenRecap(t *testing.T, path string) goldenRecap {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g goldenRecap
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		switch {
		case strings.HasPrefix(l, "exit:"):
			fmt.Sscanf(l, "exit: %d", &g.exit)
		case strings.Contains(l, " : ok="):
			lines = append(lines, l)
		}
	}
	g.recap = strings.Join(lines, "\n")
	return g
}

func recapOf(out string) string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, " : ok=") {
			lines = append(lines, strings.TrimRight(l, " "))
		}
	}
	return strings.Join(lines, "\n")
}

// sinkFunc adapts a function to Sink, recording events too.
type sinkFunc struct {
	mu     sync.Mutex
	events []Event
	on     func(Event)
}

func (s *sinkFunc) Event(e Event) {
	s.mu.Lock()
	s.events = append(s.events, e)
	s.mu.Unlock()
	if s.on != nil {
		s.on(e)
	}
}

func runWithSink(t *testing.T, playbook, invPath string, sink *sinkFunc, extra map[string]any) *Recap {
	t.Helper()
	dir := t.TempDir()
	pbPath := filepath.Join(dir, "site.yml")
	writeFile(t, pbPath, playbook)
	pb, err := LoadPlaybook(pbPath)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.Load(invPath)
	if err != nil {
		t.Fatal(err)
	}
	r := New(Options{Inventory: inv, Sink: sink, Connect: NewConnections(conn.PoolOptions{}), ExtraVars: extra, Forks: 5})
	recap, err := r.Run(context.Background(), pb)
	if err != nil {
		t.Fatal(err)
	}
	return recap
}

func statsOf(recap *Recap, host string) HostStats {
	for _, s := range recap.Stats {
		if s.Host == host {
			return s
		}
	}
	return HostStats{}
}

// TestSSHDKilledMidRun: the host whose sshd dies is UNREACHABLE, the others
// finish, the recap counts it, and the exit code is 3.
func TestSSHDKilledMidRun(t *testing.T) {
	healthy := sshtest.Start(t, sshtest.Options{Hosts: 2})
	doomed := sshtest.Start(t, sshtest.Options{Hosts: 1})
	inv := sshInventory(t, map[string][]string{"all_hosts": {"a", "b", "c"}},
		map[string]map[string]any{"a": healthy.Vars(0), "b": healthy.Vars(1), "c": doomed.Vars(0)})
	pb := `
- hosts: all_hosts
  gather_facts: false
  tasks:
    - name: first
      command: "true"
    - name: second
      command: "true"
    - name: third
      command: "true"
`
	sink := &sinkFunc{}
	sink.on = func(e Event) {
		if e.Type == EventTaskStart && e.Task == "second" {
			doomed.Kill()
		}
	}
	recap := runWithSink(t, pb, inv, sink, nil)
	if c := statsOf(recap, "c"); c.Unreachable != 1 || c.OK != 1 {
		t.Errorf("c = %+v, want ok=1 unreachable=1", c)
	}
	for _, h := range []string{"a", "b"} {
		if s := statsOf(recap, h); s.OK != 3 || s.Unreachable != 0 {
			t.Errorf("%s = %+v, want ok=3", h, s)
		}
	}
	if code := recap.ExitCode(); code != ExitUnreachable {
		t.Errorf("exit %d, want 4 (ansible-playbook 2.14 exits 4 for an unreachable host)", code)
	}
}

// TestUploadCutAndResumed: a copy interrupted by a dead link resumes on the
// next run from the partial file, and the result's sha256 is the source's.
func TestUploadCutAndResumed(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{Hosts: 1})
	inv := sshInventory(t, map[string][]string{"servers": {"vm"}}, map[string]map[string]any{"vm": srv.Vars(0)})
	src := filepath.Join(t.TempDir(), "bundle.bin")
	data := make([]byte, 96<<20)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	writeFile(t, src, string(data))
	want := sha256.Sum256(data)
	dest := filepath.Join(t.TempDir(), "bundle.bin")
	pb := fmt.Sprintf("- hosts: servers\n  gather_facts: false\n  tasks:\n    - copy: {src: %s, dest: %s}\n      register: up\n", src, dest)

	var once sync.Once
	cut := &sinkFunc{on: func(e Event) {
		if e.Type == EventProgress && e.Total > 0 && e.Done > e.Total/4 {
			once.Do(srv.Kill)
		}
	}}
	recap := runWithSink(t, pb, inv, cut, nil)
	if s := statsOf(recap, "vm"); s.Unreachable != 1 {
		t.Fatalf("the cut run: %+v, want unreachable", s)
	}
	part, err := os.Stat(dest + ".ferry-part")
	if err != nil || part.Size() == 0 || part.Size() >= int64(len(data)) {
		t.Fatalf("no partial upload left behind: %v %v", part, err)
	}
	if _, err := os.Stat(dest); err == nil {
		t.Fatal("a reader can see the half-written file at dest")
	}

	srv.Restart()
	resumed := &sinkFunc{}
	recap = runWithSink(t, pb, inv, resumed, nil)
	if s := statsOf(recap, "vm"); s.Changed != 1 || s.Failed+s.Unreachable != 0 {
		t.Fatalf("the resumed run: %+v", s)
	}
	got, err := os.ReadFile(dest)
	if err != nil || sha256.Sum256(got) != want {
		t.Fatalf("dest sha256 differs from the source (%v)", err)
	}
	var transferred int64
	for _, e := range resumed.events {
		if e.Type == EventHostResult {
			fmt.Sscan(fmt.Sprint(e.Result["bytes_transferred"]), &transferred)
		}
	}
	if transferred <= 0 || transferred >= int64(len(data)) {
		t.Errorf("bytes_transferred = %d: the upload started over instead of resuming after %d bytes", transferred, part.Size())
	}
}

func TestBecomeOverSSH(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{Hosts: 2, Password: true})
	nopw := sshtest.AddUser(t, sshtest.SudoNoPassword)
	withpw := sshtest.AddUser(t, sshtest.SudoPassword)
	hostA := srv.UserVars(0, nopw)
	hostB := srv.UserVars(1, withpw)
	hostB["ansible_become_password"] = withpw.Password
	inv := sshInventory(t, map[string][]string{"servers": {"a", "b"}}, map[string]map[string]any{"a": hostA, "b": hostB})
	pb := `
- hosts: servers
  gather_facts: false
  tasks:
    - command: id -un
      become: true
      register: who
      changed_when: false
    - assert:
        that: who.stdout == 'root'
    - command: id -un
      register: me
      changed_when: false
    - assert:
        that: me.stdout != 'root'
`
	sink := &sinkFunc{}
	recap := runWithSink(t, pb, inv, sink, nil)
	for _, h := range []string{"a", "b"} {
		if s := statsOf(recap, h); s.OK != 4 || s.Failed != 0 {
			t.Errorf("%s = %+v\n%v", h, s, sink.events)
		}
	}
}

// TestTimeoutEndsRemoteProcessGroup: the task timeout kills the remote
// command and its children, not only ferry's wait.
func TestTimeoutEndsRemoteProcessGroup(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{Hosts: 1})
	inv := sshInventory(t, map[string][]string{"servers": {"vm"}}, map[string]map[string]any{"vm": srv.Vars(0)})
	marker := randomMarker(t)
	pb := fmt.Sprintf(`
- hosts: servers
  gather_facts: false
  tasks:
    - shell: "sleep 300 %s & sleep 301 %s; wait"
      timeout: 1
`, marker, marker)
	recap := runWithSink(t, pb, inv, &sinkFunc{}, nil)
	if s := statsOf(recap, "vm"); s.Failed != 1 {
		t.Errorf("vm = %+v, want failed", s)
	}
	if procs := liveProcesses(marker); len(procs) > 0 {
		t.Errorf("remote processes still running after the timeout: %v", procs)
	}
}

// randomMarker is a number to pass to sleep as a second duration (sleep adds
// them up), so the test can find exactly its own processes with ps.
func randomMarker(t *testing.T) string {
	b := make([]byte, 3)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d", 1_000_000+int(b[0])<<16|int(b[1])<<8|int(b[2]))
}

// liveProcesses lists processes (not zombies) whose command line has marker.
func liveProcesses(marker string) []string {
	out, _ := exec.Command("ps", "-eo", "stat=,args=").Output()
	var found []string
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) > 1 && !strings.HasPrefix(f[0], "Z") && strings.Contains(l, marker) && !strings.Contains(l, "ps -eo") {
			found = append(found, l)
		}
	}
	sort.Strings(found)
	return found
}
