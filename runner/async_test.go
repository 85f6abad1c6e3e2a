package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAsyncUnderCheckRunsInCheckMode: Ansible fails every async task under
// --check; ferry runs it in the foreground in check mode, so the dry run
// changes nothing and a poll: 0 job is still there for async_status.
func TestAsyncUnderCheckRunsInCheckMode(t *testing.T) {
	pb := `
- hosts: web1
  gather_facts: false
  tasks:
    - name: polled
      file: path=DIR/polled state=touch
      async: 10
      poll: 2
      register: polled
    - name: fired
      file: path=DIR/fired state=touch
      async: 10
      poll: 0
      register: job
    - async_status: jid={{ job.ansible_job_id }}
      register: status
      until: status.finished
      retries: 3
      delay: 1
    - debug: msg="polled={{ polled.changed }} status={{ status.finished }}/{{ status.changed }}"
`
	r := runPlaybook(t, pb, localInventory, func(s *Session) { s.Check = true })
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	r.mustContain(t, `"msg": "polled=True status=1/True"`, "changed=3")
	for _, f := range []string{"polled", "fired"} {
		if _, err := os.Stat(filepath.Join(r.dir, f)); err == nil {
			t.Errorf("--check made %s", f)
		}
	}
}

// TestAsyncOnForegroundModuleFailsWhenGivenByTemplate: a literal async on
// debug is refused before the run (static_test.go); a templated one fails
// the task with Ansible's message.
func TestAsyncOnForegroundModuleFailsWhenGivenByTemplate(t *testing.T) {
	pb := `
- hosts: web1
  gather_facts: false
  vars: {seconds: 5}
  tasks:
    - debug: msg=x
      async: "{{ seconds }}"
`
	r := runPlaybook(t, pb, localInventory, nil)
	if r.code != ExitFailed {
		t.Errorf("exit %d, want %d", r.code, ExitFailed)
	}
	r.mustContain(t, "async is not supported for this task")
}

// TestAsyncJobsEndAsAnsibleWrapperEndsThem: a poll: 0 job past its limit is
// stopped and reported finished and failed ("Timeout exceeded"); a job
// still running when the play ends is waited for, not killed.
func TestAsyncJobsEndAsAnsibleWrapperEndsThem(t *testing.T) {
	pb := `
- hosts: web1
  gather_facts: false
  tasks:
    - command: sleep 30
      async: 1
      poll: 0
      register: long
    - async_status: jid={{ long.ansible_job_id }}
      register: status
      until: status.finished
      retries: 20
      delay: 1
      ignore_errors: true
    - debug: msg="long={{ status.msg }} failed={{ status.failed }}"
    - shell: sleep 1; touch DIR/last
      async: 20
      poll: 0
`
	r := runPlaybook(t, pb, localInventory, nil)
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	r.mustContain(t, `"msg": "long=Timeout exceeded failed=True"`, "waiting for 1 async job(s)")
	if _, err := os.Stat(filepath.Join(r.dir, "last")); err != nil {
		t.Errorf("the job left running was not waited for: %v\n%s", err, r.stdout)
	}
	if strings.Contains(r.stdout, "attempts\": 20") {
		t.Error("the job outlived its limit")
	}
}
