package modules

// Pending reports whether a change of this task was planned and not made
// (the gate in check mode): a module then reports the state it predicted,
// as Ansible's check mode does, instead of reading the host back. It is the
// gate's answer, so a module asks it after a Change rather than branching
// on check mode before one.
func (h *Host) Pending() bool { return h.pending() }
