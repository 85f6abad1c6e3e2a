package runner

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// Roles written for many systems include a file per system under a `when`
// (`include_tasks: setup-RedHat.yml` when ansible_os_family is RedHat), and
// those files use that system's modules (yum, pacman, zypper...). Ansible
// reads such a file only when the include runs, so a module it lacks fails
// that include on the hosts that reach it and nothing else. ferry does the
// same for modules it does not have: in the files of a dynamic include
// that has a `when`, an unknown module (or meta action, or a role that is
// not there) is deferred: ferry
// validate shows it as a warning, and a host that reaches the include
// stops the run with it (exit 4), as ansible-playbook's parser error does.
// Every other problem, and every problem elsewhere, still stops the run
// before it starts.

// unknownModule reports a module ferry does not have; under a conditional
// include it is deferred to the run.
func (p *parser) unknownModule(n *yaml.Node, hint, format string, args ...any) {
	d := Diag{Pos: posOf(p.file, n), Msg: fmt.Sprintf(format, args...), Hint: hint, deferrable: true}
	p.diags = append(p.diags, d)
}

// missingRole reports a role that is not there; under a conditional
// include it is deferred to the run too: Ansible looks for the role only
// when a host reaches the include (willshersystems.sshd includes
// fedora.linux_system_roles.firewall on RedHat systems only).
func (p *parser) missingRole(n *yaml.Node, hint, format string, args ...any) {
	p.unknownModule(n, hint, format, args...)
}

// readDeferring runs read, which parses the files of the dynamic include
// at (a task with a `when` when conditional is set), and moves the unknown
// modules it finds to the playbook's deferred problems.
func (p *parser) readDeferring(conditional bool, at Pos, read func()) {
	before := len(p.diags)
	read()
	if !conditional {
		return
	}
	kept := p.diags[:before:before]
	for _, d := range p.diags[before:] {
		if !d.deferrable {
			kept = append(kept, d)
			continue
		}
		d.Hint = fmt.Sprintf("ferry cannot run it: the run stops if a host reaches the include at %s, as ansible-playbook's does", at)
		root := p
		for root.parent != nil {
			root = root.parent
		}
		root.deferred = append(root.deferred, d)
	}
	p.diags = kept
}

// includeParseError is a problem of a file a dynamic include read during
// the run (an unknown module it deferred, a file named by a template):
// as ansible-playbook's parser error there, it ends the run at once, with
// exit code 4, though tasks have already run.
type includeParseError struct{ err error }

func (e *includeParseError) Error() string {
	return e.err.Error() + "\nThe run stopped at the include that read it (tasks before it ran)."
}

// stopOnParseError ends the play run when an included file did not parse.
func stopOnParseError(pr *playRun, err error) bool {
	if !IsValidation(err) {
		return false
	}
	pr.ended, pr.aborted = true, true
	pr.fatal = &includeParseError{err}
	if pr.free != nil {
		pr.free.stop(pr.fatal) // every host of a free batch stops
	}
	return true
}
