package account

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

// userKeyOptions are the user module's SSH key options: ssh-keygen on the
// host makes the key pair once (an existing key is kept unless force).
type userKeyOptions struct {
	GenerateSSHKey   bool    `opt:"generate_ssh_key" default:"false" doc:"Make an SSH key pair for the user if ssh_key_file does not exist yet (force: replace it)."`
	SSHKeyBits       int     `opt:"ssh_key_bits" default:"0" doc:"Bits of the key (ssh-keygen -b); 0: ssh-keygen's default for the type."`
	SSHKeyType       string  `opt:"ssh_key_type" default:"rsa" doc:"The key type (ssh-keygen -t): rsa, ed25519, ecdsa..."`
	SSHKeyFile       *string `opt:"ssh_key_file" doc:"The private key file; relative: to the user's home. Default: .ssh/id_<ssh_key_type>."`
	SSHKeyComment    *string `opt:"ssh_key_comment" doc:"The key's comment. Default: ansible-generated on <the host's name>."`
	SSHKeyPassphrase *string `opt:"ssh_key_passphrase,secret" doc:"A passphrase for the private key, handed to ssh-keygen on its standard input through SSH_ASKPASS (never in its arguments or environment)."`
}

// keyFiles is what a probe says of the key's place on the host.
type keyFiles struct {
	home, dir, key, pub bool
	hostname            string
}

// sshKey is the generate_ssh_key step of Ansible's user module (after the
// account and its home): ssh-keygen when neither the key nor its .pub
// exists (or force), the files given to the user, then the key's
// fingerprint, file and public key in the result. A failed ssh-keygen
// fails the task with its message.
func (u *userTask) sshKey(data map[string]any, p entry) (*modules.Result, error) {
	file := ".ssh/id_" + u.o.SSHKeyType
	if u.o.SSHKeyFile != nil {
		file = *u.o.SSHKeyFile
	}
	home := p.field(5)
	if !path.IsAbs(file) {
		file = path.Join(home, file)
	}
	q := hostcmd.Quote
	probe := fmt.Sprintf("for p in %s %s %s %s.pub; do if [ -e \"$p\" ]; then echo yes; else echo no; fi; done; uname -n",
		q(home), q(path.Dir(file)), q(file), q(file))
	out, err := hostcmd.Query(u.ctx, u.h, probe)
	if err != nil {
		return nil, err
	}
	f := strings.Split(strings.TrimSpace(out.Stdout), "\n")
	if len(f) != 5 {
		return nil, fmt.Errorf("probing %s on %s: unexpected %q", file, modules.HostLabel(u.h), out.Stdout)
	}
	have := keyFiles{home: f[0] == "yes", dir: f[1] == "yes", key: f[2] == "yes", pub: f[3] == "yes", hostname: f[4]}
	relative := u.o.SSHKeyFile == nil || !path.IsAbs(*u.o.SSHKeyFile)
	if relative && !have.home && !u.h.Check {
		res := failed("User "+u.name+" home directory does not exist", map[string]any{"name": u.name, "rc": 1})
		return &res, nil
	}
	if u.o.Force || !have.key && !have.pub {
		if res, err := u.keygen(file, p, have); err != nil || res != nil {
			return res, err
		}
	}
	return nil, u.keyFacts(data, file)
}

// keygen runs ssh-keygen (in check mode: plans it).
func (u *userTask) keygen(file string, p entry, have keyFiles) (*modules.Result, error) {
	comment := "ansible-generated on " + have.hostname
	if u.o.SSHKeyComment != nil {
		comment = *u.o.SSHKeyComment
	}
	argv := []string{"ssh-keygen", "-t", u.o.SSHKeyType}
	if u.o.SSHKeyBits > 0 {
		argv = append(argv, "-b", strconv.Itoa(u.o.SSHKeyBits))
	}
	argv = append(argv, "-C", comment, "-f", file)
	q := hostcmd.Quote
	owner := q(p.field(2) + ":" + p.field(3)) // from passwd, quoted all the same: it reaches a shell
	var script strings.Builder
	fmt.Fprintf(&script, "set -e\nif [ ! -e %[1]s ]; then mkdir -m 0700 -- %[1]s; chown %[2]s -- %[1]s; fi\n", q(path.Dir(file)), owner)
	if u.o.Force {
		fmt.Fprintf(&script, "rm -f -- %s %s\n", q(file), q(file+".pub"))
	}
	input := ""
	if u.o.SSHKeyPassphrase != nil {
		// ssh-keygen asks the askpass program (a helper that reads one line
		// from fd 3, our standard input) for the passphrase and its repeat.
		input = strings.Repeat(*u.o.SSHKeyPassphrase+"\n", 2)
		script.WriteString(`a=$(mktemp); trap 'rm -f "$a"' EXIT
printf '#!/bin/sh\nIFS= read -r p <&3 && printf "%%s\\n" "$p"\n' > "$a"; chmod 700 "$a"
exec 3<&0 </dev/null
SSH_ASKPASS="$a" SSH_ASKPASS_REQUIRE=force ` + q(argv...) + "\n")
	} else {
		script.WriteString(q(append(argv, "-N", "")...) + " </dev/null\n")
	}
	fmt.Fprintf(&script, "chown %s -- %s %s\n", owner, q(file), q(file+".pub"))
	what := "ssh-keygen -t " + u.o.SSHKeyType + " -f " + file
	if u.h.Check {
		u.h.Report(what)
		return nil, nil
	}
	// Act, then Report on success: a failed ssh-keygen fails the task with
	// changed false, as Ansible's fail_json does.
	var out modules.Output
	err := u.h.Act(func(w modules.Writer) error {
		var err error
		out, err = hostcmd.Write(u.ctx, w, u.h, script.String(), strings.NewReader(input))
		return err
	})
	if err != nil {
		return nil, err
	}
	if out.RC != 0 {
		res := failed(out.Stderr, map[string]any{"name": u.name, "rc": out.RC})
		return &res, nil
	}
	u.h.Report(what)
	return nil, nil
}

// keyFacts adds Ansible's ssh_fingerprint (ssh-keygen -l of the key, or
// its error), ssh_key_file and ssh_public_key (null when there is none).
func (u *userTask) keyFacts(data map[string]any, file string) error {
	q := hostcmd.Quote
	out, err := hostcmd.Query(u.ctx, u.h, fmt.Sprintf("if [ -e %s ]; then ssh-keygen -l -f %s; else exit 1; fi", q(file), q(file)))
	if err != nil {
		return err
	}
	data["ssh_fingerprint"] = strings.TrimSpace(out.Stderr)
	if out.RC == 0 {
		data["ssh_fingerprint"] = strings.TrimSpace(out.Stdout)
	}
	data["ssh_key_file"] = file
	data["ssh_public_key"] = nil
	pub, err := hostcmd.Query(u.ctx, u.h, "cat -- "+q(file+".pub"))
	if err == nil && pub.RC == 0 {
		data["ssh_public_key"] = strings.TrimSpace(pub.Stdout)
	}
	return err
}
