// Package knownhosts is Ansible's known_hosts module: one host's key in an
// OpenSSH known_hosts file, added, replaced or removed, found with the
// host's ssh-keygen -F as known_hosts.py finds it. Deploy roles use it to
// trust a git server before cloning from it.
package knownhosts

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // known_hosts hashing (HashKnownHosts) is HMAC-SHA1 by definition
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"strconv"
	"strings"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

func init() { modules.Register(knownHostsModule{}) }

type knownHostsModule struct{}

type knownHostsOptions struct {
	Name     string  `opt:"name,required" aliases:"host" doc:"The host as ssh names it (example.com, [example.com]:2222); one name, not a list."`
	Key      *string `opt:"key" doc:"The key line as known_hosts holds it, starting with the host (ssh-keyscan's output)."`
	Path     string  `opt:"path" default:"~/.ssh/known_hosts" doc:"The known_hosts file."`
	HashHost bool    `opt:"hash_host" default:"false" doc:"Write the host hashed (|1|salt|hash), as HashKnownHosts does."`
	State    string  `opt:"state" default:"present" choices:"absent,present" doc:"present adds or replaces the host's key of that type; absent removes it (every key of the host without key)."`
}

func (knownHostsModule) Spec() modules.Spec {
	return modules.Spec{
		Name:    "known_hosts",
		Summary: "Add or remove a host's key in a known_hosts file",
		Args:    modules.OptionsOf[knownHostsOptions](),
		Check:   modules.CheckSupported,
		// The order of Ansible's result: the task's parameters, diff and
		// changed, then add_path_info's (state is the path's).
		Returns: []string{"name", "key", "path", "hash_host", "state", "diff", "changed", "uid", "gid", "owner", "group", "mode", "size"},
	}
}

// knownHost is one known_hosts task.
type knownHost struct {
	ctx  context.Context
	h    *modules.Host
	o    knownHostsOptions
	host string // the name in lower case
	key  string // the line to write, hashed if asked, with its newline
}

// Run follows ansible-core 2.14's modules/known_hosts.py (enforce_state).
func (knownHostsModule) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[knownHostsOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	if o.Path, err = hostcmd.ExpandUser(ctx, h, o.Path); err != nil {
		return modules.Result{}, err
	}
	k := &knownHost{ctx: ctx, h: h, o: o, host: strings.ToLower(o.Name)}
	if o.Key != nil {
		k.key = *o.Key
	}
	if k.key == "" && o.State != "absent" {
		return fail("No key specified when adding a host")
	}
	if k.key != "" && o.HashHost {
		if k.key, err = hashHostKey(k.host, k.key); err != nil {
			return modules.Result{}, err
		}
	}
	if k.key != "" && !strings.HasSuffix(k.key, "\n") {
		k.key += "\n"
	}
	if msg, err := k.sanityCheck(); msg != "" || err != nil {
		if err != nil {
			return modules.Result{}, err
		}
		return fail(msg)
	}
	return k.enforce()
}

func (k *knownHost) enforce() (modules.Result, error) {
	found, replace, line, before, exists, err := k.search()
	if err != nil {
		return modules.Result{}, err
	}
	present := k.o.State == "present"
	diff := computeDiff(k.o.Path, before, exists, line, replace, present, k.key)
	data := map[string]any{"name": k.o.Name, "key": optional(k.o.Key), "path": k.o.Path, "hash_host": k.o.HashHost, "state": k.o.State, "diff": diff}
	if !present && line == 0 && k.key != "" {
		return modules.Result{Data: data}, addPathInfo(k.ctx, k.h, data)
	}
	if found && k.key == "" && !present {
		script := hostcmd.Quote("ssh-keygen", "-R", k.host, "-f", k.o.Path)
		out, err := hostcmd.Change(k.ctx, k.h, "ssh-keygen -R "+k.host+" -f "+k.o.Path, script)
		if err != nil {
			return modules.Result{}, err
		}
		if out.RC != 0 && !k.h.Check {
			return fail(fmt.Sprintf("%s: %s", strings.TrimSpace(out.Stderr), script))
		}
	} else if replace || found != present {
		w := modules.ContentWrite{Path: k.o.Path, Content: []byte(diff["after"].(string))}
		if _, _, err := modules.WriteContent(k.ctx, k.h, w); err != nil {
			return modules.Result{}, err
		}
	}
	if k.h.Check { // known_hosts.py exits here with changed and diff only
		data = map[string]any{"diff": diff}
	} else if err := addPathInfo(k.ctx, k.h, data); err != nil {
		return modules.Result{}, err
	}
	res := modules.Result{Data: data}
	if k.h.Diff && diff["before"] != diff["after"] {
		res.Diffs = []modules.Diff{{Path: k.o.Path, Before: diff["before"].(string), After: diff["after"].(string)}}
	}
	return res, nil
}

var commaList = regexp.MustCompile(`\S+(\s+)?,(\s+)?`)

// sanityCheck is sanity_check: a key must name the host (ssh-keygen -F
// finds it), and the host must be one name.
func (k *knownHost) sanityCheck() (string, error) {
	if k.key == "" {
		return "", nil
	}
	if commaList.MatchString(k.host) {
		return "Comma separated list of names is not supported. Please pass a single name to lookup in the known_hosts file.", nil
	}
	out, err := k.h.Query(k.ctx, modules.Command{Shell: hostcmd.Quote("ssh-keygen", "-F", k.host, "-f", "/dev/stdin"),
		Stdin: strings.NewReader(k.key), Become: k.h.Become})
	if err != nil {
		return "", err
	}
	if out.Stdout == "" {
		return "Host parameter does not match hashed host field in supplied key", nil
	}
	return "", nil
}

var foundLine = regexp.MustCompile(`found: line (\d+)`)

// search is search_for_host_key, with the file's text for the diff: found
// (the host is in the file), replace (the key differs from the one of its
// type there), and the line of that key (0 for none).
func (k *knownHost) search() (found, replace bool, line int, text string, exists bool, err error) {
	info, err := modules.StatPath(k.ctx, k.h, k.o.Path, true)
	if err != nil || !info.Exists {
		return false, false, 0, "", false, err
	}
	b, err := modules.ReadFile(k.ctx, k.h, k.o.Path, 64<<20)
	if err != nil {
		return false, false, 0, "", true, err
	}
	text = string(b)
	out, err := hostcmd.Query(k.ctx, k.h, hostcmd.Quote("ssh-keygen", "-F", k.host, "-f", k.o.Path))
	if err != nil {
		return false, false, 0, text, true, err
	}
	if out.Stdout == "" && out.Stderr == "" && (out.RC == 0 || out.RC == 1) {
		return false, false, 0, text, true, nil
	}
	if out.RC != 0 {
		return false, false, 0, text, true, fmt.Errorf("ssh-keygen failed (rc=%d, stdout='%s',stderr='%s')", out.RC, out.Stdout, out.Stderr)
	}
	if k.key == "" {
		return true, false, 0, text, true, nil
	}
	want := normalize(k.key)
	for _, l := range strings.Split(out.Stdout, "\n") {
		switch {
		case l == "":
		case l[0] == '#':
			if m := foundLine.FindStringSubmatch(l); m != nil {
				line, _ = strconv.Atoi(m[1])
			}
		default:
			have := normalize(l)
			if strings.HasPrefix(want.host, "|1|") && strings.HasPrefix(have.host, "|1|") {
				want.host = have.host // an already hashed host keeps its hash
			}
			if want == have {
				return true, false, line, text, true, nil
			}
			if want.typ == have.typ {
				return true, true, line, text, true, nil
			}
		}
	}
	return true, true, 0, text, true, nil
}

// hostKey is normalize_known_hosts_key: a line's marker, host, type and
// key, without its comment.
type hostKey struct{ options, host, typ, key string }

func normalize(line string) hostKey {
	f := strings.Fields(line)
	var k hostKey
	if len(f) > 0 && strings.HasPrefix(f[0], "@") {
		k.options, f = f[0], f[1:]
	}
	for len(f) < 3 {
		f = append(f, "")
	}
	k.host, k.typ, k.key = f[0], f[1], f[2]
	return k
}

// computeDiff is compute_diff: the file before, and after the task (the
// found line left out when replaced or removed, the key appended).
func computeDiff(path, before string, exists bool, line int, replace, present bool, key string) map[string]any {
	header := path
	if !exists {
		header = "/dev/null"
	}
	lines := strings.SplitAfter(before, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if (replace || !present) && line >= 1 && line <= len(lines) {
		lines = append(lines[:line-1:line-1], lines[line:]...)
	}
	if present && (replace || line == 0) {
		lines = append(lines, key)
	}
	return modules.Ordered(map[string]any{"before_header": header, "after_header": path, "before": before, "after": strings.Join(lines, "")},
		"before_header", "after_header", "before", "after")
}

// hashHostKey is hash_host_key: the host field replaced by |1|salt|hash,
// HMAC-SHA1 of the host under a random salt, as ssh-keygen -H writes it.
func hashHostKey(host, key string) (string, error) {
	salt := make([]byte, 20)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	mac := hmac.New(sha1.New, salt)
	mac.Write([]byte(host))
	parts := strings.Fields(key)
	if len(parts) == 0 {
		return "", errors.New("key is empty")
	}
	i := 0
	if strings.HasPrefix(parts[0], "@") {
		i = 1
	}
	if i >= len(parts) {
		return "", errors.New("key has a marker and nothing after it")
	}
	parts[i] = "|1|" + base64.StdEncoding.EncodeToString(salt) + "|" + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return strings.Join(parts, " "), nil
}

// addPathInfo is what exit_json adds to a result with a path
// (add_path_info): the file's owner, mode and size, and its state (file)
// in place of the task's.
func addPathInfo(ctx context.Context, h *modules.Host, data map[string]any) error {
	facts, err := modules.PathFacts(ctx, h, data["path"].(string))
	if err != nil {
		return err
	}
	maps.Copy(data, facts)
	return nil
}

func optional(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

// fail is fail_json(msg): its error, with changed added last.
func fail(msg string) (modules.Result, error) {
	return modules.Result{Data: map[string]any{"msg": msg}}, errors.New(msg)
}
