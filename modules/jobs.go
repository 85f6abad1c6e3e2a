package modules

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"os"
	"sync"
)

// Jobs are a host's async tasks (Ansible's `async:`), by job id: the runner
// starts them and records how each ended; async_status reads them. Ansible
// keeps a job's result in a file on the host (~/.ansible_async/JID) that its
// async_wrapper writes; ferry runs the module from the controller, so the
// table lives with the host's state for the whole run.
type Jobs struct {
	mu   sync.Mutex
	jobs map[string]*Job
}

// Job is one async task on one host.
type Job struct {
	ID   string
	done chan struct{}
	end  JobEnd
}

// JobEnd is how a job ended: the task's registered fields and its status.
type JobEnd struct {
	Data    map[string]any
	Changed bool
	Failed  bool
}

type jobsKey struct{}

// JobsOf returns the job table kept in a host's cache (Host.Cache).
func JobsOf(cache *sync.Map) *Jobs {
	j, _ := cache.LoadOrStore(jobsKey{}, &Jobs{jobs: map[string]*Job{}})
	return j.(*Jobs)
}

// Start adds a job with a new id, as Ansible makes them: j, a random
// number below 10^12, a dot and the process id.
func (js *Jobs) Start() *Job {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000_000_000))
	if err != nil {
		n = big.NewInt(0)
	}
	job := &Job{ID: fmt.Sprintf("j%d.%d", n, os.Getpid()), done: make(chan struct{})}
	js.mu.Lock()
	js.jobs[job.ID] = job
	js.mu.Unlock()
	return job
}

// Restore adds a job that ended in an earlier run (ferry run --resume),
// under its id, so that async_status reports it.
func (js *Jobs) Restore(id string, end JobEnd) {
	job := &Job{ID: id, done: make(chan struct{})}
	job.Finish(end)
	js.mu.Lock()
	js.jobs[id] = job
	js.mu.Unlock()
}

// Get returns the job with that id.
func (js *Jobs) Get(id string) (*Job, bool) {
	js.mu.Lock()
	defer js.mu.Unlock()
	job, ok := js.jobs[id]
	return job, ok
}

// Remove forgets a job (async_status mode=cleanup).
func (js *Jobs) Remove(id string) {
	js.mu.Lock()
	delete(js.jobs, id)
	js.mu.Unlock()
}

// Running returns the jobs not finished yet.
func (js *Jobs) Running() []*Job {
	js.mu.Lock()
	defer js.mu.Unlock()
	var out []*Job
	for _, job := range js.jobs {
		if _, done := job.Ended(); !done {
			out = append(out, job)
		}
	}
	return out
}

// Finish records how the job ended; it is called once.
func (j *Job) Finish(end JobEnd) {
	j.end = end
	close(j.done)
}

// Done is closed when the job has finished.
func (j *Job) Done() <-chan struct{} { return j.done }

// Ended returns how the job ended, and false while it runs.
func (j *Job) Ended() (JobEnd, bool) {
	select {
	case <-j.done:
		return j.end, true
	default:
		return JobEnd{}, false
	}
}
