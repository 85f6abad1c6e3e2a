// Package rpmkey is ansible-core 2.14's rpm_key module: a GPG public key
// imported into (or removed from) the host's rpm database, found by its key
// id in the keys rpm holds (rpm -q gpg-pubkey, read back by gpg), as
// rpm_key.py finds it. geerlingguy's roles import their repositories' keys
// with it in their RedHat files.
package rpmkey

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

func init() { modules.Register(rpmKey{}) }

type rpmKey struct{}

type rpmKeyOptions struct {
	Key           string  `opt:"key,required" doc:"The key: an ASCII-armored key file on the host, or a key id (8 or 16 hex digits, 0x optional) to remove or to check. A URL is not fetched by ferry: download it with get_url first."`
	State         string  `opt:"state" default:"present" choices:"absent,present" doc:"present imports the key unless rpm has its key id; absent removes it."`
	Fingerprint   *string `opt:"fingerprint" doc:"The key file's primary fingerprint (spaces allowed): a key that does not match is not imported."`
	ValidateCerts bool    `opt:"validate_certs" default:"true" doc:"For a URL key, which ferry does not fetch; accepted for compatibility."`
}

func (rpmKey) Spec() modules.Spec {
	return modules.Spec{
		Name:    "rpm_key",
		Summary: "Import or remove a GPG public key in the host's rpm database",
		Args:    modules.OptionsOf[rpmKeyOptions](),
		Check:   modules.CheckSupported,
	}
}

// keyID is rpm_key.py's is_keyid: 8 hex digits (0x optional) at the start.
var keyID = regexp.MustCompile(`(?i)^(0x)?[0-9a-f]{8}`)

// task is one rpm_key run: the tools found on the host and the options.
type task struct {
	ctx      context.Context
	h        *modules.Host
	rpm, gpg string
}

// Run follows RpmKey.__init__: find the key id (of the file, or given), ask
// whether rpm has it, then import or erase.
func (rpmKey) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[rpmKeyOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	t := &task{ctx: ctx, h: h}
	if msg, err := t.tools(); err != nil {
		return modules.Result{}, err
	} else if msg != "" {
		return failed(msg), nil
	}
	keyfile, id := "", ""
	switch {
	case strings.Contains(o.Key, "://"):
		return failed("ferry's rpm_key does not fetch " + o.Key + ": download it with get_url and give its path as key"), nil
	case keyID.MatchString(o.Key):
		id = o.Key
	default:
		isFile, err := t.isFile(o.Key)
		if err != nil {
			return modules.Result{}, err
		}
		if !isFile {
			return failed("Not a valid key " + o.Key), nil
		}
		keyfile = o.Key
		if id, err = t.colonField(keyfile, "pub:", 4); err != nil || id == "" {
			return t.gpgFailure(err)
		}
	}
	id = normalizeKeyID(id)
	imported, err := t.imported(id)
	if err != nil {
		return t.gpgFailure(err)
	}
	if o.State == "absent" {
		if imported {
			return t.change("--erase", "--allmatches", "gpg-pubkey-"+strings.ToLower(id[max(len(id)-8, 0):]))
		}
		return modules.Result{}, nil
	}
	if imported {
		return modules.Result{}, nil
	}
	if keyfile == "" {
		return failed("When importing a key, a valid file must be given"), nil
	}
	if o.Fingerprint != nil && *o.Fingerprint != "" {
		want := strings.ToUpper(strings.ReplaceAll(*o.Fingerprint, " ", ""))
		has, err := t.colonField(keyfile, "fpr:", 9, "--with-fingerprint")
		if err != nil || has == "" {
			return t.gpgFailure(err)
		}
		if has != want {
			return failed(fmt.Sprintf("The specified fingerprint, '%s', does not match the key fingerprint '%s'", want, has)), nil
		}
	}
	return t.change("--import", keyfile)
}

// normalizeKeyID is normalize_keyid: trimmed, upper case, without 0X.
func normalizeKeyID(id string) string {
	id = strings.ToUpper(strings.TrimSpace(id))
	return strings.TrimPrefix(id, "0X")
}

// commandError is a command that failed: its stderr is the task's message,
// as rpm_key.py's execute_command fails with it.
type commandError struct{ stderr string }

func (e commandError) Error() string { return e.stderr }

// gpgFailure turns a failed command into the task's failure; no error at
// all is gpg's output without the line looked for.
func (t *task) gpgFailure(err error) (modules.Result, error) {
	if ce, ok := err.(commandError); ok {
		return failed(ce.stderr), nil
	}
	if err != nil {
		return modules.Result{}, err
	}
	return failed("Unexpected gpg output"), nil
}

// tools finds rpm, and gpg or gpg2, as get_bin_path does (PATH and the
// sbin directories); a missing one is get_bin_path's failure message.
func (t *task) tools() (string, error) {
	out, err := hostcmd.Query(t.ctx, t.h, `PATH="$PATH:/sbin:/usr/sbin:/usr/local/sbin"; for b in rpm gpg gpg2; do printf '%s=%s\n' "$b" "$(command -v "$b")"; done; echo "path=$PATH"`)
	if err != nil {
		return "", err
	}
	found := hostcmd.Found(out.Stdout)
	t.rpm, t.gpg = found["rpm"], found["gpg"]
	if t.gpg == "" {
		t.gpg = found["gpg2"]
	}
	for _, need := range []struct{ name, path string }{{"rpm", t.rpm}, {"gpg2", t.gpg}} {
		if need.path == "" {
			return fmt.Sprintf("Failed to find required executable \"%s\" in paths: %s", need.name, found["path"]), nil
		}
	}
	return "", nil
}

func (t *task) isFile(path string) (bool, error) {
	out, err := hostcmd.Query(t.ctx, t.h, "test -f "+hostcmd.Quote(path))
	return out.RC == 0, err
}

// gpgList is gpg's machine-readable listing of the keys a file (or stdin,
// "-") holds, as rpm_key.py asks for it.
func (t *task) gpgList(extra ...string) string {
	return hostcmd.Quote(append([]string{t.gpg, "--no-tty", "--batch", "--with-colons", "--fixed-list-mode"}, extra...)...)
}

// colonField is field n of the first line of gpg's listing of keyfile that
// starts with prefix ("" when there is none).
func (t *task) colonField(keyfile, prefix string, n int, extra ...string) (string, error) {
	out, err := t.query(t.gpgList(append(extra, keyfile)...))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if fields := strings.Split(line, ":"); strings.HasPrefix(line, prefix) && len(fields) > n {
			return fields[n], nil
		}
	}
	return "", nil
}

// query runs a read-only command under the C locale; a non-zero exit is a
// commandError with its stderr.
func (t *task) query(command string) (string, error) {
	out, err := hostcmd.Query(t.ctx, t.h, "LANG=C LC_ALL=C "+command)
	if err != nil {
		return "", err
	}
	if out.RC != 0 {
		return "", commandError{out.Stderr}
	}
	return out.Stdout, nil
}

// imported is is_key_imported: a key of rpm's whose key id field contains id.
func (t *task) imported(id string) (bool, error) {
	rpmQuery := hostcmd.Quote(t.rpm, "-q", "gpg-pubkey")
	if out, err := hostcmd.Query(t.ctx, t.h, rpmQuery); err != nil || out.RC != 0 {
		return false, err // no key at all
	}
	out, err := t.query(rpmQuery + " --qf '%{description}' | " + t.gpgList("-"))
	if err != nil {
		return false, err
	}
	for _, line := range strings.Split(out, "\n") {
		if fields := strings.Split(line, ":"); len(fields) > 4 && strings.Contains(fields[4], id) {
			return true, nil
		}
	}
	return false, nil
}

// change runs rpm with words through the gate (not in check mode); a
// failure is rpm's stderr.
func (t *task) change(words ...string) (modules.Result, error) {
	line := hostcmd.Quote(append([]string{t.rpm}, words...)...)
	out, err := hostcmd.Change(t.ctx, t.h, line, "LANG=C LC_ALL=C "+line)
	if err != nil || out.RC == 0 {
		return modules.Result{}, err
	}
	return failed(out.Stderr), nil
}

func failed(msg string) modules.Result {
	return modules.Result{Failed: true, Msg: msg, Data: map[string]any{"msg": msg}}
}
