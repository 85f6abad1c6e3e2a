package control

import (
	"context"

	"github.com/ferry-sh/ferry/modules"
)

// async_status is Ansible's: it reports a job that an async task with
// poll: 0 started (`until: job.finished`), or forgets it (mode: cleanup).
// Ansible's module reads the job's result file on the host; ferry's jobs
// are kept with the host's state (jobs.go), so the module runs in ferry.
func init() { modules.Register(asyncStatusModule{}) }

type asyncStatusModule struct{}

type asyncStatusOptions struct {
	JID  string `opt:"jid,required" doc:"The job id: the ansible_job_id the async task registered."`
	Mode string `opt:"mode" default:"status" choices:"status,cleanup" doc:"status reports the job (finished: 1 once it ended, with its result); cleanup forgets it."`
}

func (asyncStatusModule) Spec() modules.Spec {
	return modules.Spec{
		Name:       "async_status",
		Returns:    []string{"started", "finished", "stdout", "stderr", "stdout_lines", "stderr_lines", "ansible_job_id", "results_file", "changed", "rc", "cmd", "start", "end", "delta", "msg"}, // the order of Ansible's result
		Summary:    "Report, or clean up, a job that an async task with poll: 0 started on the host",
		Args:       modules.OptionsOf[asyncStatusOptions](),
		Check:      modules.CheckSupported,
		Controller: true,
	}
}

func (asyncStatusModule) Run(_ context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[asyncStatusOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	jid := o.JID
	// The fields Ansible's action sets before the module's own.
	data := map[string]any{"ansible_job_id": jid, "started": 0, "finished": 0,
		"stdout": "", "stderr": "", "stdout_lines": []any{}, "stderr_lines": []any{}}
	jobs := modules.JobsOf(h.Cache)
	job, ok := jobs.Get(jid)
	if !ok {
		data["started"], data["finished"] = 1, 1
		return modules.Result{Failed: true, Msg: "could not find job", Data: data}, nil
	}
	if o.Mode == "cleanup" {
		jobs.Remove(jid)
		return modules.Result{Data: data}, nil
	}
	data["started"] = 1
	end, finished := job.Ended()
	if !finished {
		return modules.Result{Data: data}, nil
	}
	for k, v := range end.Data {
		data[k] = v
	}
	data["ansible_job_id"], data["finished"] = jid, 1
	if end.Changed {
		// The job made its change when it ran; this reports it, as
		// Ansible's async_status reports the job's changed.
		h.Report("job " + jid + " changed the host")
	}
	msg, _ := end.Data["msg"].(string)
	return modules.Result{Failed: end.Failed, Msg: msg, Data: data}, nil
}
