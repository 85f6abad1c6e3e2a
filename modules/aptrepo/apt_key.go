package aptrepo

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/ferry-sh/ferry/internal/anylist"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

func init() { modules.Register(aptKeyModule{}) }

type aptKeyModule struct{}

type aptKeyOptions struct {
	ID            *string `opt:"id" doc:"The key's id (8 or 16 hex digits, or its fingerprint); default: read from file, data or url."`
	URL           *string `opt:"url" doc:"Where the host downloads the key from."`
	Data          *string `opt:"data" doc:"The key itself (armored or binary)."`
	File          *string `opt:"file" doc:"A key file on the host."`
	Keyring       *string `opt:"keyring" doc:"The keyring apt-key adds to (--keyring); default: apt-key's (/etc/apt/trusted.gpg)."`
	ValidateCerts bool    `opt:"validate_certs" default:"true" doc:"Check the url's TLS certificate."`
	Keyserver     *string `opt:"keyserver" doc:"The keyserver apt-key adv --recv asks for id."`
	State         string  `opt:"state" default:"present" choices:"absent,present" doc:"present adds the key; absent deletes it (apt-key del)."`
}

func (aptKeyModule) Spec() modules.Spec {
	return modules.Spec{
		Name:      "apt_key",
		Summary:   "Add or remove an APT key with apt-key",
		Args:      modules.OptionsOf[aptKeyOptions](),
		Exclusive: [][]string{{"data", "file", "keyserver", "url"}},
		Check:     modules.CheckSupported,
		Returns:   []string{"changed", "id", "short_id", "fp", "key_id", "before", "after"}, // the order of Ansible's result
	}
}

// aptKey is one apt_key task: the result so far (apt_key.py's r) and the
// host.
type aptKey struct {
	ctx  context.Context
	h    *modules.Host
	o    aptKeyOptions
	r    map[string]any
	bins map[string]string // apt-key and gpg, as get_bin_path finds them
}

// Run follows ansible-core 2.14's modules/apt_key.py: the key's id (given,
// or read by gpg from the key), apt-key's public keys before, the key added
// (file, keyserver, data, url) or deleted, and the keys after.
func (aptKeyModule) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[aptKeyOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	k := &aptKey{ctx: ctx, h: h, o: o, r: map[string]any{"changed": false}}
	if res, err := k.findBinaries(); res != nil || err != nil {
		return failJSON(derefResult(res), err)
	}
	return failJSON(k.run())
}

func (k *aptKey) run() (modules.Result, error) {
	id, res, err := k.keyID()
	if res != nil || err != nil {
		return derefResult(res), err
	}
	if id == nil { // Python's None, which parse_key_id refuses
		k.r["id"] = nil
		return k.fail("Invalid key_id"), nil
	}
	k.r["id"] = *id
	short, fp, full, ok := parseKeyID(*id)
	if !ok {
		return k.fail("Invalid key_id"), nil
	}
	k.r["short_id"], k.r["fp"], k.r["key_id"] = short, fp, full
	shortFormat := len(full) == 8
	keys, res, err := k.allKeys(shortFormat)
	if res != nil || err != nil {
		return derefResult(res), err
	}
	k.r["before"] = anylist.Of(keys)
	has := func(keys []string) bool {
		if shortFormat {
			return contains(keys, short)
		}
		return contains(keys, fp)
	}
	if k.o.State == "absent" {
		if !contains(keys, fp) {
			return k.result(), nil
		}
		if k.h.Check {
			return k.report("apt-key del " + short), nil
		}
		return k.change("apt-key del "+short, k.removeScript(short), nil, "Unable to remove a key with id "+short,
			func(keys []string) bool { return !contains(keys, fp) }, "the key was not removed", shortFormat)
	}
	if has(keys) {
		return k.result(), nil
	}
	if k.h.Check { // apt_key.py decides the key's source only for real
		return k.report("apt-key add " + full), nil
	}
	script, stdin, failMsg, res, err := k.addScript(full)
	if res != nil || err != nil {
		return derefResult(res), err
	}
	return k.change("apt-key add "+full, script, stdin, failMsg, has, "failed to add the key", shortFormat)
}

// findBinaries is find_needed_binaries: apt-key and gpg must be there.
func (k *aptKey) findBinaries() (*modules.Result, error) {
	k.bins = map[string]string{}
	for _, name := range []string{"apt-key", "gpg"} {
		out, err := hostcmd.Query(k.ctx, k.h, "command -v "+name)
		if err != nil {
			return nil, err
		}
		p := strings.TrimSpace(out.Stdout)
		if out.RC != 0 || p == "" {
			r := failed(fmt.Sprintf("Failed to find required executable %q in paths: %s", name, "the host's PATH"))
			return &r, nil
		}
		k.bins[name] = p
	}
	return nil, nil
}

// keyID is the given id, or the first key gpg finds in file, data or the
// downloaded url (get_key_id_from_file).
func (k *aptKey) keyID() (*string, *modules.Result, error) {
	if k.o.ID != nil && *k.o.ID != "" {
		return k.o.ID, nil, nil
	}
	if k.o.Keyserver != nil && *k.o.Keyserver != "" {
		r := failed("Missing key_id, required with keyserver.")
		return nil, &r, nil
	}
	data, res, err := k.keyData()
	if res != nil || err != nil {
		return nil, res, err
	}
	switch {
	case k.o.File != nil && *k.o.File != "":
		return k.keyIDFrom(*k.o.File, nil, *k.o.File)
	case data != nil && *data != "":
		return k.keyIDFrom("-", data, "inline data")
	}
	return nil, nil, nil
}

// keyData is data, or the key downloaded from url when there is no data.
func (k *aptKey) keyData() (*string, *modules.Result, error) {
	if k.o.URL == nil || *k.o.URL == "" {
		return k.o.Data, nil, nil
	}
	body, res := k.download(*k.o.URL)
	if res != nil {
		return nil, res, nil
	}
	return &body, nil, nil
}

func (k *aptKey) keyIDFrom(file string, data *string, label string) (*string, *modules.Result, error) {
	cmd := modules.Command{Shell: "LC_ALL=C LANG=C LC_MESSAGES=C " + hostcmd.Quote(k.bins["gpg"], "--with-colons", file), Become: k.h.Become}
	if data != nil {
		cmd.Stdin = strings.NewReader(*data)
	}
	out, err := k.h.Query(k.ctx, cmd)
	if err != nil {
		return nil, nil, err
	}
	if out.RC != 0 {
		r := failedWith(fmt.Sprintf("Unable to extract key from '%s'", label), "stdout", out.Stdout, "stderr", out.Stderr)
		return nil, &r, nil
	}
	if keys := parseKeys(out.Stdout); len(keys) > 0 {
		return &keys[0], nil, nil
	}
	return nil, nil, nil
}

// allKeys lists apt-key's public keys (all_keys).
//
// A keyring that is not there has no keys: apt-key's listing would create
// it empty, which apt_key.py does even under --check; ferry's dry run
// changes nothing (README, What differs).
func (k *aptKey) allKeys(shortFormat bool) ([]string, *modules.Result, error) {
	if k.o.Keyring != nil && *k.o.Keyring != "" {
		exists, err := modules.PathExists(k.ctx, k.h, *k.o.Keyring)
		if err != nil || !exists {
			return []string{}, nil, err
		}
	}
	cmd := k.aptKeyCmd("adv --list-public-keys --keyid-format=long")
	out, err := hostcmd.Query(k.ctx, k.h, cmd)
	if err != nil {
		return nil, nil, err
	}
	if out.RC != 0 {
		r := failedWith("Unable to list public keys", "cmd", cmd, "rc", out.RC, "stdout", out.Stdout, "stderr", out.Stderr)
		return nil, &r, nil
	}
	keys := parseKeys(out.Stdout)
	if shortFormat {
		for i, key := range keys {
			keys[i] = key[max(0, len(key)-8):]
		}
	}
	return keys, nil, nil
}

// aptKeyCmd is apt-key's command line as apt_key.py builds it (a string
// run without a shell, so keyring is one word).
func (k *aptKey) aptKeyCmd(rest string) string {
	if k.o.Keyring != nil && *k.o.Keyring != "" {
		return hostcmd.Quote(k.bins["apt-key"], "--keyring", *k.o.Keyring) + " " + rest
	}
	return hostcmd.Quote(k.bins["apt-key"]) + " " + rest
}

func (k *aptKey) removeScript(short string) string {
	return k.aptKeyCmd("del " + hostcmd.Quote(short))
}

// addScript is the command that adds the key: add_key with the file or
// the data (given or downloaded), or import_key from the keyserver.
func (k *aptKey) addScript(full string) (script string, stdin *string, failMsg string, res *modules.Result, err error) {
	switch {
	case k.o.File != nil && *k.o.File != "":
		return k.aptKeyCmd("add " + hostcmd.Quote(*k.o.File)), nil, "Unable to add a key from file " + *k.o.File, nil, nil
	case k.o.Keyserver != nil && *k.o.Keyserver != "":
		cmd := k.aptKeyCmd(fmt.Sprintf("adv --no-tty --keyserver %s --recv %s", hostcmd.Quote(*k.o.Keyserver), hostcmd.Quote(full)))
		return cmd, nil, fmt.Sprintf("Error fetching key %s from keyserver: %s", full, *k.o.Keyserver), nil, nil
	}
	data, res, err := k.keyData()
	if res != nil || err != nil || data == nil || *data == "" {
		if res == nil && err == nil {
			k.r["changed"] = true
			k.h.Report("apt-key add " + full) // the result says changed, as r does
			r := k.fail("No key to add ... how did i get here?!?!")
			res = &r
		}
		return "", nil, "", res, err
	}
	return k.aptKeyCmd("add -"), data, "Unable to add a key from binary data", nil, nil
}

// change runs script through the gate (check mode: reports it), then lists
// the keys again: ok tells whether they are as the task wants.
func (k *aptKey) change(what, script string, stdin *string, failMsg string, ok func([]string) bool, notDone string, shortFormat bool) (modules.Result, error) {
	k.r["changed"] = true
	input := ""
	if stdin != nil {
		input = *stdin
	}
	tries := 1
	if k.o.Keyserver != nil && *k.o.Keyserver != "" && k.o.State == "present" {
		tries = 5 // import_key tries five times
	}
	var out modules.Output
	var err error
	for range tries {
		if out, err = hostcmd.ChangeWithInput(k.ctx, k.h, what, "LC_ALL=C LANG=C LC_MESSAGES=C "+script, input); err != nil || out.RC == 0 {
			break
		}
	}
	if err != nil {
		return modules.Result{}, err
	}
	if out.RC != 0 {
		return k.commandFailed(script, failMsg, out)
	}
	after, res, err := k.allKeys(shortFormat)
	if res != nil || err != nil {
		return derefResult(res), err
	}
	k.r["after"] = anylist.Of(after)
	if !ok(after) {
		return k.fail("apt-key did not return an error, but " + notDone + " (check that the id is correct and *not* a subkey)"), nil
	}
	return k.result(), nil
}

// report is a change check mode predicts without running it.
func (k *aptKey) report(what string) modules.Result {
	k.r["changed"] = true
	k.h.Report(what)
	return k.result()
}

// commandFailed is fail_json after apt-key failed: the command and its
// output (import_key adds the locale it forced), and no change reported.
func (k *aptKey) commandFailed(script, msg string, out modules.Output) (modules.Result, error) {
	data := map[string]any{"cmd": script, "rc": out.RC, "stdout": out.Stdout, "stderr": out.Stderr, "msg": msg,
		"stdout_lines": anylist.Lines(out.Stdout), "stderr_lines": anylist.Lines(out.Stderr)}
	order := []string{"cmd", "rc", "stdout", "stderr", "msg", "stdout_lines", "stderr_lines"}
	if k.o.Keyserver != nil && *k.o.Keyserver != "" {
		locale, err := k.parsableLocale()
		if err != nil {
			return modules.Result{}, err
		}
		data["forced_environment"] = map[string]any{"LANG": locale, "LC_ALL": locale, "LC_MESSAGES": locale}
		order = append([]string{"cmd", "forced_environment"}, order[1:]...)
	}
	return modules.Result{Data: modules.Ordered(data, order...)}, errors.New(msg)
}

// parsableLocale is get_best_parsable_locale: the first of Ansible's
// preferred locales that the host has, else C.
func (k *aptKey) parsableLocale() (string, error) {
	out, err := hostcmd.Query(k.ctx, k.h, "locale -a")
	if err != nil || out.RC != 0 {
		return "C", err
	}
	available := strings.Split(strings.TrimSpace(out.Stdout), "\n")
	for _, pref := range []string{"C.utf8", "C.UTF-8", "en_US.utf8", "en_US.UTF-8", "C", "POSIX"} {
		if contains(available, pref) {
			return pref, nil
		}
	}
	return "C", nil
}

func (k *aptKey) result() modules.Result {
	return modules.Result{Data: modules.Ordered(k.r, "changed", "id", "short_id", "fp", "key_id", "before", "after")}
}

// fail is fail_json(msg, **r): r's keys, then failed and msg.
func (k *aptKey) fail(msg string) modules.Result {
	data := map[string]any{}
	for key, v := range k.r {
		data[key] = v
	}
	data["msg"] = msg
	return modules.Result{Failed: true, Msg: msg, Data: modules.Ordered(data, "changed", "id", "short_id", "fp", "key_id", "before", "after", "failed", "msg")}
}

// download fetches url from the host's side of the connection, as the
// module's fetch_url does on the host.
func (k *aptKey) download(url string) (string, *modules.Result) {
	fail := func(why string) (string, *modules.Result) {
		r := failed(fmt.Sprintf("Failed to download key at %s: %s", url, why))
		return "", &r
	}
	dialer, ok := k.h.Dialer()
	if !ok {
		return fail("Request failed: the connection cannot open TCP connections from the host's side")
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: modules.ReadOnlyTransport(&http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: !k.o.ValidateCerts}, //nolint:gosec // validate_certs: false asks for it
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, addr)
		}}, nil)}
	req, err := http.NewRequestWithContext(k.ctx, http.MethodGet, url, nil)
	if err != nil {
		return fail("Request failed: " + err.Error())
	}
	resp, err := client.Do(req)
	if err != nil {
		return fail("Request failed: <urlopen error " + err.Error() + ">")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fail(fmt.Sprintf("HTTP Error %d: %s", resp.StatusCode, strings.TrimPrefix(resp.Status, strconv.Itoa(resp.StatusCode)+" ")))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fail("Request failed: " + err.Error())
	}
	return string(body), nil
}

// parseKeyID is parse_key_id: the id's last 8 hex digits, its last 16 (the
// fingerprint apt-key lists), and the whole id, upper case without 0x.
func parseKeyID(id string) (short, fp, full string, ok bool) {
	if !isHex(id) {
		return "", "", "", false
	}
	full = strings.TrimPrefix(strings.ToUpper(id), "0X")
	if n := len(full); n != 8 && n != 16 && n <= 16 {
		return "", "", "", false
	}
	short, fp = full[len(full)-8:], full
	if len(full) > 16 {
		fp = full[len(full)-16:]
	}
	return short, fp, full, true
}

// isHex is Python's int(id, 16) succeeding (0x allowed).
func isHex(id string) bool {
	s := strings.TrimPrefix(strings.ToLower(id), "0x")
	if s == "" {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// parseKeys is parse_output_for_keys: the key id of each pub and sub line
// that is not expired, from gpg's long listing or its colon format.
func parseKeys(output string) []string {
	var found []string
	for _, line := range strings.Split(output, "\n") {
		if !(strings.HasPrefix(line, "pub") || strings.HasPrefix(line, "sub")) || strings.Contains(line, "expired") {
			continue
		}
		if tokens := strings.Fields(line); len(tokens) > 1 {
			if _, code, ok := strings.Cut(tokens[1], "/"); ok && !strings.Contains(code, "/") {
				found = append(found, code)
				continue
			}
		}
		if tokens := strings.Split(line, ":"); len(tokens) > 4 {
			found = append(found, tokens[4])
		}
	}
	return found
}

func contains(keys []string, key string) bool {
	for _, k := range keys {
		if k == key {
			return true
		}
	}
	return false
}

// failedWith is a failed result with fields of fail_json before msg.
func failedWith(msg string, kv ...any) modules.Result {
	data := map[string]any{}
	var order []string
	for i := 0; i+1 < len(kv); i += 2 {
		data[kv[i].(string)] = kv[i+1]
		order = append(order, kv[i].(string))
	}
	data["msg"] = msg
	return modules.Result{Failed: true, Msg: msg, Data: modules.Ordered(data, append(order, "failed", "msg")...)}
}
