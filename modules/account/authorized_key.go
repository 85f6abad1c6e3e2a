package account

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

// authorizedKey adds or removes SSH keys in a user's authorized_keys, as
// ansible.posix 1.5.4's authorized_key (enforce_state, keyfile).
type authorizedKey struct{}

type authorizedKeyOptions struct {
	User          string  `opt:"user,required" doc:"The account whose authorized_keys file is edited (it must exist, except in check mode with path)."`
	Key           string  `opt:"key,required" doc:"One key, or several, one a line (blank lines and # comments are skipped). A URL is not fetched: ferry refuses it (download the keys with get_url and read them with slurp or lookup('file'))."`
	Path          *string `opt:"path" doc:"The file to edit instead of ~user/.ssh/authorized_keys."`
	ManageDir     bool    `opt:"manage_dir" default:"true" doc:"Create the file's directory (mode 0700, owned by the user) when the file is written."`
	State         string  `opt:"state" default:"present" choices:"absent,present" doc:"present: the keys are in the file (with these options and comment); absent: they are not."`
	KeyOptions    *string `opt:"key_options" doc:"The options every key gets (no-pty,from=\"10.0.0.0/8\"), replacing those written before the key."`
	Exclusive     bool    `opt:"exclusive" default:"false" doc:"Remove every other line of the file (other keys and comments too), as Ansible does."`
	Comment       *string `opt:"comment" doc:"The comment every key gets, replacing its own."`
	ValidateCerts bool    `opt:"validate_certs" default:"true" doc:"Ansible's, for a key given as a URL; ferry takes no URL, so it changes nothing."`
	Follow        bool    `opt:"follow" default:"false" doc:"Write through a symbolic link to the file it points to; false replaces the link with a regular file, as Ansible does."`
}

func (authorizedKeyOptions) OptionChecks() map[string]func(v any) error {
	return map[string]func(v any) error{"key": func(v any) error {
		if s, _ := v.(string); strings.HasPrefix(s, "http") {
			return fmt.Errorf("key %q is a URL: ferry does not fetch keys; download them with get_url, or give the keys themselves (lookup('file', ...))", s)
		}
		return nil
	}}
}

func init() { modules.Register(authorizedKey{}) }

func (authorizedKey) Spec() modules.Spec {
	return modules.Spec{
		Name:       "authorized_key",
		Summary:    "Add or remove SSH keys in a user's authorized_keys file (ansible.posix.authorized_key)",
		Args:       modules.OptionsOf[authorizedKeyOptions](),
		Check:      modules.CheckSupported,
		Collection: "ansible.posix",
	}
}

func (authorizedKey) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[authorizedKeyOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	data := o.result()
	file, res, err := keysFile(ctx, h, o)
	if res != nil || err != nil {
		return derefResult(res), err
	}
	data["keyfile"] = file.path
	info, err := modules.StatPath(ctx, h, file.path, true)
	if err != nil {
		return modules.Result{}, err
	}
	before := ""
	if info.Type == "file" {
		b, err := modules.ReadFile(ctx, h, file.path, 16<<20)
		if err != nil {
			return modules.Result{}, err
		}
		before = string(b)
	}
	keys := parseKeys(before)
	changed, res := o.enforce(keys)
	if res != nil {
		return *res, nil
	}
	var diffs []modules.Diff
	if changed {
		after := keys.content()
		target, err := file.write(ctx, h, o, after)
		if err != nil {
			return modules.Result{}, err
		}
		diffs = []modules.Diff{{Path: target, Before: before, After: after}}
		if h.Diff {
			data["diff"] = map[string]any{"before_header": file.path, "after_header": target, "before": before, "after": after}
		}
	}
	if o.Path != nil { // Ansible's add_path_info: the result has a path
		facts, err := modules.PathFacts(ctx, h, *o.Path)
		if err != nil {
			return modules.Result{}, err
		}
		maps.Copy(data, facts)
	}
	return modules.Result{Data: data, Diffs: diffs}, nil
}

// result is Ansible's: the task's parameters as the module saw them.
func (o authorizedKeyOptions) result() map[string]any {
	opt := func(p *string) any {
		if p == nil {
			return nil
		}
		return *p
	}
	return map[string]any{"user": o.User, "key": o.Key, "path": opt(o.Path), "manage_dir": o.ManageDir, "state": o.State,
		"key_options": opt(o.KeyOptions), "exclusive": o.Exclusive, "comment": opt(o.Comment),
		"validate_certs": o.ValidateCerts, "follow": o.Follow}
}

func derefResult(r *modules.Result) modules.Result {
	if r == nil {
		return modules.Result{}
	}
	return *r
}

// enforce is enforce_state on the parsed file: it changes keys and reports
// whether the file must be written, or a failed result for a bad key.
func (o authorizedKeyOptions) enforce(keys *keySet) (bool, *modules.Result) {
	present, changed := o.State == "present", false
	maxRank := len(keys.order)
	var wanted []string
	for rank, line := range newKeyLines(o.Key) {
		k, ok := parseKey(line, rank)
		if !ok {
			r := failed("invalid key specified: "+line, nil)
			return false, &r
		}
		if o.KeyOptions != nil {
			k.options = parseOptions(*o.KeyOptions)
		}
		if o.Comment != nil {
			k.comment = *o.Comment
		}
		e, exists := keys.get(k.blob)
		matched := exists && (k.same(e) || !present)
		if !present {
			if matched {
				keys.remove(k.blob)
				changed = true
			}
			continue
		}
		wanted = append(wanted, k.blob)
		if exists && !matched {
			keys.remove(k.blob)
			changed = true
		}
		if !matched {
			k.rank += maxRank // after the keys already there
			keys.set(k)
			changed = true
		}
	}
	if present && o.Exclusive {
		for _, b := range append([]string(nil), keys.order...) {
			if !slices.Contains(wanted, b) {
				keys.remove(b)
				changed = true
			}
		}
	}
	return changed, nil
}

// newKeyLines are the key argument's lines but blank ones and comments.
func newKeyLines(key string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(strings.ReplaceAll(key, "\r\n", "\n"), "\r", "\n"), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// keyFile is where the keys are, and whose they are.
type keyFile struct {
	path     string
	uid, gid string // "" in check mode for a user that does not exist yet
}

// keysFile is keyfile(write=False): the path given, or the user's
// ~/.ssh/authorized_keys. The user is looked up (a probe) and must exist,
// except in check mode with a path (missingUser).
func keysFile(ctx context.Context, h *modules.Host, o authorizedKeyOptions) (keyFile, *modules.Result, error) {
	pw, err := lookup(ctx, h, "passwd", o.User)
	if err != nil {
		return keyFile{}, nil, err
	}
	if pw == nil {
		return missingUser(h, o)
	}
	f := keyFile{path: path.Join(pw.field(5), ".ssh", "authorized_keys"), uid: pw.field(2), gid: pw.field(3)}
	if o.Path != nil {
		f.path = *o.Path
	}
	return f, nil, nil
}

// missingUser is Ansible's answer for a user that does not exist. Kept on
// check mode, as Ansible's own rule and wording: there a path stands for
// the account an earlier task of the dry run would create (which no probe
// can see yet), and the message names that way out.
func missingUser(h *modules.Host, o authorizedKeyOptions) (keyFile, *modules.Result, error) {
	msg := fmt.Sprintf("Failed to lookup user %s: \"getpwnam(): name not found: '%s'\"", o.User, o.User) // str(KeyError) of Python 3.11's pwd
	if h.Check {
		if o.Path != nil {
			return keyFile{path: *o.Path}, nil, nil
		}
		msg = "Either user must exist or you must provide full path to key file in check mode"
	}
	r := failed(msg, nil)
	return keyFile{}, &r, nil
}

// write is keyfile(write=True) and writefile: with manage_dir the key's
// directory is made 0700 and the user's, the file is made 0600 and the
// user's, and the content replaces it (through a link with follow, else
// replacing the link). It returns the path written.
func (f keyFile) write(ctx context.Context, h *modules.Host, o authorizedKeyOptions, content string) (string, error) {
	target := f.path
	if o.Follow {
		out, err := hostcmd.Query(ctx, h, "readlink -m -- "+hostcmd.Quote(f.path))
		if err != nil {
			return "", err
		}
		target = strings.TrimSpace(out.Stdout)
	}
	if _, err := hostcmd.Change(ctx, h, "prepare "+target, f.prepareScript(o, target)); err != nil {
		return "", err
	}
	if h.Pending() {
		return target, nil // a dry run: the file was not prepared, so its write is not probed
	}
	_, _, err := modules.WriteContent(ctx, h, modules.ContentWrite{Path: target, Content: []byte(content),
		Options: modules.FileEditOptions{FileAttrs: modules.FileAttrs{Mode: "0600", Owner: f.uid, Group: f.gid}}})
	return target, err
}

// prepareScript makes the directory and the file as keyfile does, and
// removes a link that is not to be followed (atomic_move replaces it).
func (f keyFile) prepareScript(o authorizedKeyOptions, target string) string {
	q, owner := hostcmd.Quote(target), hostcmd.Quote(f.uid+":"+f.gid)
	var b strings.Builder
	if o.ManageDir {
		dir := hostcmd.Quote(path.Dir(f.path)) // ~/.ssh, or the directory of path
		fmt.Fprintf(&b, "[ -e %[1]s ] || mkdir -m 0700 -- %[1]s\nchown %[2]s %[1]s\nchmod 0700 %[1]s\n", dir, owner)
	}
	fmt.Fprintf(&b, "[ -e %[1]s ] || { mkdir -p -- %[2]s && : > %[1]s; }\n", q, hostcmd.Quote(path.Dir(target)))
	fmt.Fprintf(&b, "chown %[2]s %[1]s 2>/dev/null; chmod 0600 %[1]s 2>/dev/null\n", q, owner)
	if !o.Follow {
		fmt.Fprintf(&b, "if [ -L %[1]s ]; then rm -f -- %[1]s; fi\n", q)
	}
	b.WriteString("true\n")
	return b.String()
}
