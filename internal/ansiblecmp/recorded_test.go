package ansiblecmp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A recording keeps what a comparison needs and nothing of the machine it
// was made on: the work directory reads $workdir, Ansible's plumbing and
// the skipped fields are gone; read back, it compares equal to ferry's
// result in another work directory.
func TestRecordingRoundTrip(t *testing.T) {
	live := Outcome{Exit: 2, Workdir: "/tmp/run1", Stats: map[string]Stats{"target": {OK: 1, Failed: 1}},
		Tasks: []Task{{Name: "t", Host: "target", Result: map[string]any{
			"changed": true, "path": "/tmp/run1/x", "invocation": map[string]any{"module_args": "..."}, "delta": "0:00:01"}}}}
	golden := filepath.Join(t.TempDir(), "pb.ansible.json")
	writeRecording(t, golden, nil, []Round{record(live, false, true, "state", []string{"delta"})})
	data, _ := os.ReadFile(golden)
	for _, gone := range []string{"/tmp/run1", "invocation", "delta"} {
		if strings.Contains(string(data), gone) {
			t.Errorf("the recording keeps %q:\n%s", gone, data)
		}
	}
	rec := recording{golden, readRecording(t, golden, nil)}
	got, state := rec.round(t, 0, false, true)
	if state != "state" || got.Exit != 2 || got.Stats["target"] != live.Stats["target"] {
		t.Errorf("read back: exit %d, stats %+v, state %q", got.Exit, got.Stats, state)
	}
	recorded := got.Tasks[0].Result["path"]
	if show(recorded, got.Workdir) != show("/tmp/run2/x", "/tmp/run2") || show(recorded, got.Workdir) == show("/tmp/run2/y", "/tmp/run2") {
		t.Errorf("the recorded path %v does not compare as ferry's in its own work directory", recorded)
	}
}

// A field@task skip leaves the field out of that task's recording only.
func TestRecordingSkipsAFieldOfOneTask(t *testing.T) {
	o := Outcome{Tasks: []Task{{Name: "a", Host: "h", Result: map[string]any{"msg": "x"}}, {Name: "b", Host: "h", Result: map[string]any{"msg": "y"}}}}
	r := record(o, false, false, "", []string{"msg@a"})
	if _, has := r.Tasks[0].Result["msg"]; has {
		t.Error("task a keeps msg")
	}
	if r.Tasks[1].Result["msg"] != "y" {
		t.Errorf("task b lost msg: %v", r.Tasks[1].Result)
	}
}

// A live comparison leaves its recording alone unless FERRY_UPDATE_GOLDEN
// is set (a rewrite would only change the times, and dirty the checkout);
// with it set, the recording is written from the live run.
func TestLiveRunWritesItsRecordingOnlyWhenAsked(t *testing.T) {
	if !haveAnsible() {
		Playbook(t, "", nil) // fails under CI, logs elsewhere
		t.Skip("ansible-playbook is not installed")
	}
	t.Setenv(RecordedEnv, "")
	dir := t.TempDir()
	playbook := filepath.Join(dir, "pb.yml")
	inventory := filepath.Join(dir, "hosts.ini")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(playbook, []byte("- hosts: all\n  gather_facts: false\n  tasks:\n    - name: now\n      command: date +%s%N\n"), 0o644))
	must(os.WriteFile(inventory, []byte("target ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n"), 0o644))
	golden := filepath.Join(dir, "pb.ansible.json")
	const kept = "{\"rounds\": []}\n"
	must(os.WriteFile(golden, []byte(kept), 0o644))

	t.Setenv(UpdateEnv, "")
	live := Reference(t, Run{Playbook: playbook, Inventory: inventory}, golden)
	if got, _ := os.ReadFile(golden); string(got) != kept {
		t.Errorf("a plain live run rewrote %s:\n%s", golden, got)
	}
	if live.Result(t, "now", "target")["stdout"] == nil {
		t.Errorf("the live run's result is not what Reference returned: %+v", live.Tasks)
	}

	t.Setenv(UpdateEnv, "1")
	Reference(t, Run{Playbook: playbook, Inventory: inventory}, golden)
	if rec := readRecording(t, golden, nil); len(rec.Rounds) != 1 || len(rec.Rounds[0].Tasks) != 1 {
		t.Errorf("%s=1 did not record the live run: %+v", UpdateEnv, rec)
	}
}
