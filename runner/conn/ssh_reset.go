package conn

import (
	"errors"
	"net"
)

// Resetting a connection that inventory hosts share. Hosts with the same
// endpoint (address, port, user) share one pooled connection, as
// Ansible's ssh connection shares one ControlPersist master between them.
// meta: reset_connection on one of them runs `ssh -O stop` in 2.14
// (plugins/connection/ssh.py reset): the master takes no new sessions,
// the running ones finish, and every host's next command connects anew.
// Here the pool forgets the connection (the next Get dials a new one),
// each host that holds it moves to a new one at its next task (Retired),
// and it is closed once no host holds it, so no running command is cut.

// holdersOf counts the Gets that handed out s and were not released;
// guarded by Pool.mu.
type holdersOf map[*SSH]int

// hold records one more holder of s (Get).
func (p *Pool) hold(s *SSH) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.holders == nil {
		p.holders = holdersOf{}
	}
	p.holders[s]++
}

// Retired reports whether a host reset this connection: the host that
// holds it should Release it and Get a new one before its next task.
func (s *SSH) Retired() bool { return s.retired.Load() }

// Reset retires s for every host that shares it: the pool dials anew at
// the next Get, and s is released for the caller (closed when no one else
// holds it).
func (p *Pool) Reset(s *SSH) error {
	s.retired.Store(true)
	p.mu.Lock()
	e := p.conns[s.cfg.Endpoint()]
	p.mu.Unlock()
	if e != nil { // e.mu is taken before p.mu (Get), never inside it
		e.mu.Lock()
		if e.conn == s {
			e.conn = nil
		}
		e.mu.Unlock()
	}
	return p.Release(s)
}

// Release gives up one hold on s; a retired s with no holder left is
// closed (the pool closes the others at the end of the run).
func (p *Pool) Release(s *SSH) error {
	p.mu.Lock()
	if p.holders[s] > 0 {
		p.holders[s]--
	}
	last := p.holders[s] == 0
	if last {
		delete(p.holders, s)
	}
	p.mu.Unlock()
	if !last || !s.Retired() {
		return nil
	}
	if err := s.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

// retiredHeld are the retired connections some host still holds: no
// pool entry has them, and Close must end them too. Called with p.mu held.
func (p *Pool) retiredHeld() []*SSH {
	var out []*SSH
	for s := range p.holders {
		if s.Retired() {
			out = append(out, s)
		}
	}
	return out
}
