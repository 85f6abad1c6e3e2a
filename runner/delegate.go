package runner

import "fmt"

// delegateTarget is the host a delegated task runs on for host h, or ""
// when the task is not delegated (or delegated to h itself).
func (r *Runner) delegateTarget(sc *scope, t *Task, h *hostState) string {
	if t.DelegateTo == "" {
		return ""
	}
	v, err := sc.render(t.DelegateTo)
	if err != nil || fmt.Sprint(v) == h.name {
		return "" // a bad delegate_to fails when the connection opens
	}
	return fmt.Sprint(v)
}

// delegateLabel is how Ansible's output names the delegated host: its
// name, and its address when the inventory gives it another one.
func (r *Runner) delegateLabel(name string) string {
	if name == "" || r.opts.Inventory == nil {
		return name
	}
	if _, ok := r.opts.Inventory.Host(name); !ok {
		return name
	}
	if addr, ok := r.opts.Inventory.HostVars(name)["ansible_host"]; ok && fmt.Sprint(addr) != name {
		return fmt.Sprintf("%s(%v)", name, addr)
	}
	return name
}

// factsHost is the host whose facts a task sets: the delegated host with
// delegate_facts (an inventory host, or the implicit localhost), else h.
func (r *Runner) factsHost(t *Task, h *hostState, delegate string) *hostState {
	if !t.DelegateFacts || delegate == "" || r.opts.Inventory == nil {
		return h
	}
	ih, ok := r.opts.Inventory.Localhost(delegate)
	if !ok {
		return h
	}
	return r.delegateHost(ih)
}
