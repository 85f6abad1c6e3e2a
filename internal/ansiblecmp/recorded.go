package ansiblecmp

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Collection modules (ansible.posix, community.general) are compared with
// the real collections when tools/collections/install.sh could install them
// (from a mirror; Debian's ansible-core has none and Galaxy may be out of
// reach). Such a comparison runs ansible-playbook live; with
// FERRY_UPDATE_GOLDEN=1 it also records what it did (exit, recap,
// registered fields, the test's view of the effects) in a golden file
// beside the playbook, which a plain run never rewrites (its times would
// change at every run and dirty the checkout). Where the collections are
// missing ferry is compared with that recording instead. Both ways assert:
// a missing recording fails the test, it never skips.

// UpdateEnv, set (to 1), writes golden files from live runs of
// ansible-playbook; without it a test only compares with them.
const UpdateEnv = "FERRY_UPDATE_GOLDEN"

// Updating reports whether this run writes golden files (UpdateEnv).
func Updating() bool { return os.Getenv(UpdateEnv) != "" }

// keepRecording writes the golden file from a live run under UpdateEnv;
// otherwise it only checks that there is one, for the machines that compare
// with it.
func keepRecording(t testing.TB, golden string, collections []string, rounds []Round) {
	t.Helper()
	if Updating() {
		writeRecording(t, golden, collections, rounds)
		return
	}
	if _, err := os.Stat(golden); err != nil {
		t.Errorf("compared with a live run, but there is no recording for machines without %s (%v): record one with %s=1",
			strings.Join(collections, ", "), err, UpdateEnv)
	}
}

// CollectionsPath is the ANSIBLE_COLLECTIONS_PATH that
// tools/collections/install.sh fills, in a cache outside the clone.
func CollectionsPath() string {
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "ferry-test", "collections")
}

// collectionVersion is the version of an installed collection
// ("ansible.posix"), or "" when it is not installed.
func collectionVersion(name string) string {
	ns, coll, _ := strings.Cut(name, ".")
	data, err := os.ReadFile(filepath.Join(CollectionsPath(), "ansible_collections", ns, coll, ".ferry-version"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}

// RecordedEnv, set to 1, compares with the recordings even where the
// collections are installed (to try the path that machines without them take).
const RecordedEnv = "FERRY_ANSIBLE_RECORDED"

// CanRunLive reports whether ansible-playbook and every collection are here
// (and FERRY_ANSIBLE_RECORDED does not ask for the recordings).
func CanRunLive(collections []string) bool {
	if os.Getenv(RecordedEnv) == "1" || !haveAnsible() {
		return false
	}
	for _, c := range collections {
		if collectionVersion(c) == "" {
			return false
		}
	}
	return true
}

// Recording is what ansible-playbook did with one playbook, round by round,
// as a golden file holds it.
type Recording struct {
	// Collections are the versions the recording was made with.
	Collections map[string]string `json:"collections"`
	Rounds      []Round           `json:"rounds"`
}

// Round is one ansible-playbook run of a recording.
type Round struct {
	Check bool             `json:"check"`
	Diff  bool             `json:"diff"`
	Exit  int              `json:"exit"`
	Stats map[string]Stats `json:"stats"`
	Tasks []RecordedTask   `json:"tasks"`
	// State is the test's description of the effects after the run.
	State string `json:"state,omitempty"`
}

// RecordedTask is one task's result on one host, without Ansible's
// plumbing and the fields the test does not compare.
type RecordedTask struct {
	Name   string         `json:"name"`
	Host   string         `json:"host"`
	Result map[string]any `json:"result"`
}

// record turns an outcome into a round: the work directory reads
// "$workdir", plumbing and skipped fields (field@task: of that task) are
// left out.
func record(o Outcome, check, diff bool, state string, skip []string) Round {
	r := Round{Check: check, Diff: diff, Exit: o.Exit, Stats: o.Stats, State: state}
	for _, tk := range o.Tasks {
		res := maps.Clone(tk.Result)
		for _, k := range append(skip, plumbing...) {
			field, task, scoped := strings.Cut(k, "@")
			if !scoped || task == tk.Name {
				delete(res, field)
			}
		}
		var norm map[string]any
		if err := json.Unmarshal([]byte(show(res, o.Workdir)), &norm); err != nil {
			norm = res
		}
		r.Tasks = append(r.Tasks, RecordedTask{Name: tk.Name, Host: tk.Host, Result: norm})
	}
	return r
}

// outcome is a recorded round as an Outcome to compare ferry's with.
func (r Round) outcome(golden string) Outcome {
	o := Outcome{Exit: r.Exit, Stats: r.Stats, Output: "(ansible-playbook's run recorded in " + golden + ")"}
	for _, tk := range r.Tasks {
		o.Tasks = append(o.Tasks, Task{Name: tk.Name, Host: tk.Host, Result: tk.Result})
	}
	if o.Stats == nil {
		o.Stats = map[string]Stats{}
	}
	return o
}

// writeRecording (re)writes a golden file from a live run.
func writeRecording(t testing.TB, golden string, collections []string, rounds []Round) {
	t.Helper()
	rec := Recording{Collections: map[string]string{}, Rounds: rounds}
	for _, c := range collections {
		rec.Collections[c] = collectionVersion(c)
	}
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		t.Fatalf("recording %s: %v", golden, err)
	}
	if err := os.WriteFile(golden, append(data, '\n'), 0o644); err != nil {
		t.Fatalf("recording %s: %v", golden, err)
	}
}

// readRecording reads a golden file, or fails the test saying how to make it.
func readRecording(t testing.TB, golden string, collections []string) Recording {
	t.Helper()
	data, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("no recording of ansible-playbook with %s to compare with (%v): run tools/collections/install.sh "+
			"where a mirror of the collections is, then this test with %s=1, to record one", strings.Join(collections, ", "), err, UpdateEnv)
	}
	var rec Recording
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatalf("recording %s: %v", golden, err)
	}
	return rec
}

// GoldenFor is where the recording of a playbook lives by default:
// beside it, ".yml" replaced by ".ansible.json".
func GoldenFor(playbook string) string {
	return strings.TrimSuffix(playbook, filepath.Ext(playbook)) + ".ansible.json"
}

// Reference is what ansible-playbook did with r, a playbook that needs
// collections: run live when they are installed (recorded to golden under
// UpdateEnv), else read back from golden. Its Workdir is "" when recorded: paths in
// the recording already read "$workdir".
func Reference(t testing.TB, r Run, golden string, collections ...string) Outcome {
	t.Helper()
	if CanRunLive(collections) {
		out, _ := Ansible(t, r)
		keepRecording(t, golden, collections, []Round{record(out, r.Check, r.Diff, "", nil)})
		return out
	}
	rec := readRecording(t, golden, collections)
	if len(rec.Rounds) != 1 || rec.Rounds[0].Check != r.Check || rec.Rounds[0].Diff != r.Diff {
		t.Fatalf("recording %s is not of one run with check=%v diff=%v: record it again", golden, r.Check, r.Diff)
	}
	return rec.Rounds[0].outcome(golden)
}

// recording is a golden file's rounds, to compare ferry's with.
type recording struct {
	golden string
	Recording
}

// reference is ansible-playbook's three rounds of c: run live on Theirs
// when the collections are installed (recorded under UpdateEnv: Ansible's
// rounds are what they are, whatever ferry then does), else read from the
// golden file.
func (c Converge) reference(t *testing.T) recording {
	t.Helper()
	golden := c.Golden
	if golden == "" {
		golden = GoldenFor(c.Playbook)
	}
	if !CanRunLive(c.Collections) {
		rec := readRecording(t, golden, c.Collections)
		t.Logf("ansible-playbook with %v: as recorded in %s (%v)", c.Collections, golden, rec.Collections)
		return recording{golden, rec}
	}
	var rounds []Round
	for _, check := range []bool{true, false, false} {
		out, _ := Ansible(t, Run{Playbook: c.Playbook, Inventory: c.Theirs, Check: check, Diff: c.Diff})
		rounds = append(rounds, record(out, check, c.Diff, c.State(false), c.Skip))
	}
	keepRecording(t, golden, c.Collections, rounds)
	t.Logf("ansible-playbook with %v: run live", c.Collections)
	return recording{golden, Recording{Rounds: rounds}}
}

// round is the i-th round as an outcome and the effects it left.
func (r recording) round(t testing.TB, i int, check, diff bool) (Outcome, string) {
	t.Helper()
	if i >= len(r.Rounds) || r.Rounds[i].Check != check || r.Rounds[i].Diff != diff {
		t.Fatalf("recording %s has no round %d with check=%v diff=%v: record it again", r.golden, i+1, check, diff)
	}
	return r.Rounds[i].outcome(r.golden), r.Rounds[i].State
}
