// Package probe holds the modules that only look at the host: setup (its
// facts), stat (one path) and wait_for (a port, a file or its content). None
// of them makes a change, so none calls the gate: they run the same in check
// mode as for real.
package probe
