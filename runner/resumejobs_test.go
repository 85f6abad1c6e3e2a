package runner

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/modules"
)

// A job started with poll: 0 before a failure is not started again by
// --resume: the journal recorded how it ended, and async_status reports
// that under the same job id.
func TestResumeKeepsAnEndedAsyncJob(t *testing.T) {
	pb := `
- hosts: web1
  gather_facts: false
  tasks:
    - name: start
      shell: echo job >> DIR/job-runs; echo finished-output
      async: 30
      poll: 0
      register: job
    - name: gate
      command: test -f DIR/go
    - name: wait
      async_status:
        jid: "{{ job.ansible_job_id }}"
      register: st
      until: st.finished
      retries: 50
      delay: 0.1
    - debug:
        msg: "{{ st.stdout }} {{ st.ansible_job_id == job.ansible_job_id }}"
`
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "hosts.ini"), localInventory)
	writeFile(t, filepath.Join(dir, "site.yml"), strings.ReplaceAll(pb, "DIR", dir))
	run := func(resume bool) runResult {
		var stdout, stderr bytes.Buffer
		s := &Session{Playbook: filepath.Join(dir, "site.yml"), Inventories: []string{filepath.Join(dir, "hosts.ini")},
			Stdout: &stdout, Stderr: &stderr, Output: "text", Journal: true, Resume: resume}
		return runResult{code: s.Run(context.Background()), stdout: stdout.String(), stderr: stderr.String(), dir: dir}
	}
	first := run(false)
	if first.code != ExitFailed {
		t.Fatalf("first run: exit %d\n%s%s", first.code, first.stdout, first.stderr)
	}
	writeFile(t, filepath.Join(dir, "go"), "")
	second := run(true)
	if second.code != 0 {
		t.Fatalf("resume: exit %d\n%s%s", second.code, second.stdout, second.stderr)
	}
	if strings.Contains(second.stdout, "TASK [start]") {
		t.Errorf("the resumed run started the job again:\n%s", second.stdout)
	}
	second.mustContain(t, `"msg": "finished-output True"`)
	if data, _ := os.ReadFile(filepath.Join(dir, "job-runs")); string(data) != "job\n" {
		t.Errorf("the job ran %q", data)
	}
}

// A job whose end the journal lacks (the stop killed it) makes its task,
// and the host's later ones, run again.
func TestResumeRunsALostJobAgain(t *testing.T) {
	p := &ResumePlan{done: map[taskKey]doneTask{}, jobs: map[string]map[string]modules.JobEnd{"a": {"j1.1": {}}}}
	keys := []taskKey{{hostPos{"a", "f:1"}, 0}, {hostPos{"a", "f:2"}, 0}, {hostPos{"b", "f:1"}, 0}, {hostPos{"b", "f:2"}, 0}, {hostPos{"b", "f:3"}, 0}}
	p.done[keys[0]] = doneTask{job: "j1.1"} // ended: kept
	p.done[keys[1]] = doneTask{}
	p.done[keys[2]] = doneTask{}
	p.done[keys[3]] = doneTask{job: "j2.1"} // no end recorded
	p.done[keys[4]] = doneTask{}
	p.forgetLostJobs(keys)
	for i, want := range []bool{true, true, true, false, false} {
		if _, ok := p.done[keys[i]]; ok != want {
			t.Errorf("task %v kept: %v, want %v", keys[i], ok, want)
		}
	}
}
