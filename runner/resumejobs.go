package runner

import (
	"encoding/json"

	"github.com/ferry-sh/ferry/modules"
)

// Async jobs and --resume. A task with poll: 0 starts a job that ferry runs
// itself, so the job lives as long as the run: a resumed run cannot ask it
// how it went. The journal therefore records how each job ended
// (EventJobEnd). A resumed run replays the task that started a job only
// when the job's end is in the journal, and async_status then reports that
// end under the same job id; a job the stop cut short (or whose result
// holds a secret, never written) has no end there, so its task and the
// host's later ones run again, starting a new job.

// jobEndEvent records in the journal how a poll: 0 job ended.
func (r *Runner) jobEndEvent(t *Task, h *hostState, jid string, end modules.JobEnd) {
	e := Event{Type: EventJobEnd, Host: h.name, Task: t.Title(), Pos: t.Pos.String(),
		Result: map[string]any{"ansible_job_id": jid, "data": end.Data, "changed": end.Changed, "failed": end.Failed}}
	b, err := json.Marshal(e.Result)
	if err != nil || t.mayHide() || r.opts.Masker.Contains(string(b)) {
		e.Result, e.Msg = map[string]any{"ansible_job_id": jid}, "secret"
	}
	r.emit(e)
}

// addJobEnd reads a job's end from the journal.
func (p *ResumePlan) addJobEnd(e Event) {
	jid, _ := e.Result["ansible_job_id"].(string)
	if e.Msg == "secret" || jid == "" {
		return
	}
	data, _ := wholeNumbers(e.Result["data"]).(map[string]any)
	changed, _ := e.Result["changed"].(bool)
	failed, _ := e.Result["failed"].(bool)
	if p.jobs[e.Host] == nil {
		p.jobs[e.Host] = map[string]modules.JobEnd{}
	}
	p.jobs[e.Host][jid] = modules.JobEnd{Data: data, Changed: changed, Failed: failed}
}

// startedJob is the id of the job a task's registered value says it
// started and left running (poll: 0), or "".
func startedJob(facts map[string]any) string {
	for _, v := range facts {
		m, ok := v.(map[string]any)
		if !ok {
			continue
		}
		if jid, ok := m["ansible_job_id"].(string); ok && m["finished"] == 0 {
			return jid
		}
	}
	return ""
}

// forgetLostJobs takes out of the plan, for each host, the first task
// whose job has no recorded end and every task the host ran after it.
func (p *ResumePlan) forgetLostJobs(order []taskKey) {
	lost := map[string]bool{}
	for _, key := range order {
		d := p.done[key]
		if _, ended := p.jobs[key.host][d.job]; d.job != "" && !ended {
			lost[key.host] = true
		}
		if lost[key.host] {
			delete(p.done, key)
		}
	}
}

// restoreJobs gives a host of a resumed run the jobs that ended in the run
// resumed.
func (p *ResumePlan) restoreJobs(h *hostState) {
	if p == nil {
		return
	}
	for jid, end := range p.jobs[h.name] {
		modules.JobsOf(&h.cache).Restore(jid, end)
	}
}
