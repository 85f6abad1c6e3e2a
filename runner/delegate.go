package runner

import (
	"context"
	"fmt"

	"github.com/ferry-sh/ferry/inventory"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/runner/conn"
)

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

// delegation is where a delegated task runs: the delegated host and the
// scope its connection and become read.
type delegation struct {
	host     *hostState
	implicit bool // the implicit localhost: this machine
	scope    *scope
}

// delegated resolves delegate_to for task t as ansible-core 2.14's
// VariableManager._get_delegated_vars does: the connection and become
// variables are the delegated host's own (its inventory variables and
// facts, not those of the task's host), under the extra vars, the play's,
// the role's, the block's and the task's vars, which reach the delegated
// connection too; inventory_hostname stays the task's host. As in 2.14,
// a loop's item is not among them.
func (r *Runner) delegated(sc *scope, t *Task) (delegation, error) {
	target, err := sc.render(t.DelegateTo)
	if err != nil {
		return delegation{}, fmt.Errorf("delegate_to: %w", err)
	}
	name := fmt.Sprint(target)
	ih, ok := r.opts.Inventory.Localhost(name) // an inventory host, or the implicit localhost
	if !ok {
		return delegation{}, fmt.Errorf("delegate_to %q: the inventory has no such host", name)
	}
	d := delegation{host: r.delegatedHost(ih), implicit: ih.Implicit}
	if sc.forHost == nil { // a scope of no task: the delegated host's variables alone
		hostLayer, fromHost := d.host.facts.view()
		d.scope = &scope{engine: r.engine, layers: []map[string]any{r.opts.ExtraVars, hostLayer, d.host.inventoryVars()}, data: []dataLayer{{layer: hostLayer, names: fromHost}},
			magic: sc.magic, masker: r.opts.Masker}
		return d, nil
	}
	d.scope = sc.forHost(d.host)
	own, origin := d.scope.magic, sc.magic
	d.scope.magic = func(n string) (any, bool) {
		if n == "inventory_hostname" && origin != nil {
			return origin(n)
		}
		return own(n)
	}
	return d, nil
}

// delegatedHost is the state of a host that tasks delegate to: the same
// as when a later play runs on it, so that the facts delegate_facts gives
// it are still there (a host only delegated to counts nothing, and the
// recap leaves it out). The implicit localhost joins the run's hosts only
// once it has facts (delegate_facts, factsHost): until then it is a
// passing state with its one variable, ansible_connection=local.
func (r *Runner) delegatedHost(ih *inventory.Host) *hostState {
	if !ih.Implicit {
		return r.delegateHost(ih)
	}
	r.mu.Lock()
	h, ok := r.hosts[ih.Name]
	r.mu.Unlock()
	if ok {
		return h
	}
	h = &hostState{name: ih.Name, notified: map[*Task]bool{}}
	h.setInventoryVars(map[string]any{"ansible_connection": "local"})
	return h
}

// delegateConn is the connection of a delegated task: the delegated
// host's, with the connection variables of d's scope, or this machine for
// the implicit localhost.
func (r *Runner) delegateConn(ctx context.Context, d delegation) (modules.Conn, error) {
	if d.implicit {
		return conn.NewLocal(), nil
	}
	return r.taskConnection(ctx, d.host, d.scope)
}

// delegateHost is the state of an inventory host that tasks delegate to.
func (r *Runner) delegateHost(ih *inventory.Host) *hostState {
	return r.host(ih)
}
