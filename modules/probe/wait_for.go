package probe

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"time"

	"github.com/ferry-sh/ferry/internal/anylist"
	"github.com/ferry-sh/ferry/modules"
)

func init() { modules.Register(waitForModule{}) }

// waitForModule waits for a port or a path on the host (Ansible's wait_for).
// It only reads, so it runs in check mode too.
type waitForModule struct{}

type waitForOptions struct {
	Host           string  `opt:"host" default:"127.0.0.1" doc:"The address to probe with port, as the host sees it (dialled from the host's side of the connection)."`
	Port           *int    `opt:"port" kind:"port" doc:"A TCP port to wait for."`
	Path           *string `opt:"path" doc:"A file on the host to wait for."`
	State          string  `opt:"state" default:"started" choices:"started,stopped,present,absent" doc:"started/present: the port accepts connections or the path exists; stopped/absent: the port refuses them or the path is gone."`
	SearchRegex    string  `opt:"search_regex" doc:"With path: wait until the file's content matches (multi-line mode). With port: until what the port sends matches. Go (RE2) syntax."`
	Timeout        int     `opt:"timeout" default:"300" doc:"Seconds to wait in all (delay included) before failing."`
	Delay          int     `opt:"delay" default:"0" doc:"Seconds to wait before the first probe."`
	Sleep          int     `opt:"sleep" default:"1" doc:"Seconds between probes."`
	ConnectTimeout int     `opt:"connect_timeout" default:"5" doc:"Seconds one connection attempt (and a search_regex read on it) may take."`
	Msg            string  `opt:"msg" doc:"The failure message instead of the default timeout message."`
}

func (waitForOptions) OptionChecks() map[string]func(any) error {
	return map[string]func(any) error{"search_regex": checkRegex}
}

func (waitForModule) Spec() modules.Spec {
	return modules.Spec{
		Name:      "wait_for",
		Returns:   []string{"state", "port", "search_regex", "match_groups", "match_groupdict", "path", "elapsed", "uid", "gid", "owner", "group", "mode", "size"}, // the order of Ansible's result
		Summary:   "Wait for a port to open or close, or a file to appear, match or vanish",
		Args:      modules.OptionsOf[waitForOptions](),
		Exclusive: [][]string{{"port", "path"}},
		Check:     modules.CheckSupported,
	}
}

// waiter is one wait_for task's probe and messages.
type waiter struct {
	h       *modules.Host
	o       waitForOptions
	addr    string
	re      *regexp.Regexp
	started bool // waiting for presence, not absence
	groups  []string
	named   map[string]string
}

func (waitForModule) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[waitForOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	w := &waiter{h: h, o: o, named: map[string]string{}}
	w.started = o.State == "started" || o.State == "present"
	if p := o.SearchRegex; p != "" {
		re, err := regexp.Compile("(?m)" + p)
		if err != nil {
			return modules.Result{}, fmt.Errorf("search_regex %q is not a valid regular expression: %w", p, err)
		}
		w.re = re
	}
	if o.Port != nil {
		w.addr = net.JoinHostPort(o.Host, strconv.Itoa(*o.Port))
		if _, ok := h.Dialer(); !ok {
			return modules.Result{}, fmt.Errorf("the connection to %s cannot open TCP connections from the host's side, which wait_for port needs", modules.HostLabel(h))
		}
	}
	start := time.Now()
	end := start.Add(seconds(o.Timeout))
	if err := sleepCtx(ctx, seconds(o.Delay)); err != nil {
		return modules.Result{}, err
	}
	if o.Port == nil && o.Path == nil {
		// Ansible's wait_for with nothing to wait for just sleeps the timeout.
		if err := sleepCtx(ctx, time.Until(end)); err != nil {
			return modules.Result{}, err
		}
		return w.result(ctx, start, false)
	}
	for {
		done, err := w.probe(ctx)
		if err != nil {
			return modules.Result{}, err
		}
		if done {
			return w.result(ctx, start, false)
		}
		if !time.Now().Before(end) {
			return w.result(ctx, start, true)
		}
		// A floor keeps sleep: 0 from spinning on the connection.
		pauseFor := max(seconds(o.Sleep), 100*time.Millisecond)
		if err := sleepCtx(ctx, min(pauseFor, time.Until(end))); err != nil {
			return modules.Result{}, err
		}
	}
}

func (w *waiter) probe(ctx context.Context) (bool, error) {
	if w.addr != "" {
		return w.probePort(ctx)
	}
	return w.probePath(ctx)
}

func (w *waiter) probePort(ctx context.Context) (bool, error) {
	timeout := seconds(w.o.ConnectTimeout)
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	dialer, _ := w.h.Dialer()
	conn, err := dialer.DialContext(dctx, "tcp", w.addr)
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		return !w.started, nil
	}
	defer conn.Close()
	if !w.started {
		return false, nil
	}
	if w.re == nil {
		return true, nil
	}
	_ = conn.SetReadDeadline(time.Now().Add(timeout))
	var got []byte
	buf := make([]byte, 4096)
	for len(got) < 1<<20 {
		n, err := conn.Read(buf)
		got = append(got, buf[:n]...)
		if w.match(got) {
			return true, nil
		}
		if err != nil {
			return false, nil
		}
	}
	return false, nil
}

func (w *waiter) probePath(ctx context.Context) (bool, error) {
	p := *w.o.Path
	exists, err := modules.PathExists(ctx, w.h, p)
	if err != nil {
		return false, fmt.Errorf("checking %s on %s: %w", p, modules.HostLabel(w.h), err)
	}
	if !w.started || w.re == nil || !exists {
		return exists == w.started, nil
	}
	content, err := modules.ReadFile(ctx, w.h, p, 64<<20)
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return false, nil // it may be replaced right now; try again
	}
	return w.match(content), nil
}

func (w *waiter) match(b []byte) bool {
	m := w.re.FindSubmatch(b)
	if m == nil {
		return false
	}
	w.groups = w.groups[:0]
	for i, g := range m[1:] {
		w.groups = append(w.groups, string(g))
		if name := w.re.SubexpNames()[i+1]; name != "" {
			w.named[name] = string(g)
		}
	}
	return true
}

// result is wait_for's exit_json: every key, null when not given, and the
// path's own fields after (add_path_info); a timeout's fail_json has the
// elapsed time and the message only.
func (w *waiter) result(ctx context.Context, start time.Time, timedOut bool) (modules.Result, error) {
	elapsed := int(time.Since(start).Seconds())
	if timedOut {
		msg := cmp.Or(w.o.Msg, w.timeoutMsg())
		return modules.Result{Failed: true, Msg: msg, Data: map[string]any{"elapsed": elapsed, "msg": msg}}, nil
	}
	data := map[string]any{"elapsed": elapsed, "state": w.o.State, "port": nil, "path": nil, "search_regex": nil,
		"match_groups": anylist.Of(w.groups), "match_groupdict": stringMapToAny(w.named)}
	if w.o.Port != nil {
		data["port"] = *w.o.Port
	}
	if w.re != nil {
		data["search_regex"] = w.o.SearchRegex
	}
	if w.o.Path != nil {
		data["path"] = *w.o.Path
		info, err := modules.StatPath(ctx, w.h, *w.o.Path, true)
		if err != nil {
			return modules.Result{}, err
		}
		if info.Exists {
			data["uid"], data["gid"], data["owner"], data["group"] = info.UID, info.GID, info.Owner, info.Group
			data["mode"], data["state"], data["size"] = modules.FormatMode(info.Mode), info.Type, info.Size
		}
	}
	return modules.Result{Data: data}, nil
}

// timeoutMsg is Ansible's message for each kind of wait.
func (w *waiter) timeoutMsg() string {
	where := ""
	if w.o.Path != nil {
		where = *w.o.Path
	}
	if w.addr != "" {
		where = w.addr
	}
	switch {
	case !w.started && w.addr != "":
		return fmt.Sprintf("Timeout when waiting for %s to stop.", where)
	case !w.started:
		return fmt.Sprintf("Timeout when waiting for %s to be absent.", where)
	case w.re != nil:
		return fmt.Sprintf("Timeout when waiting for search string %s in %s", w.o.SearchRegex, where)
	case w.addr != "":
		return fmt.Sprintf("Timeout when waiting for %s", where)
	}
	return fmt.Sprintf("Timeout when waiting for file %s", where)
}

func stringMapToAny(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func seconds(n int) time.Duration { return time.Duration(n) * time.Second }

// sleepCtx sleeps d, or less when ctx ends (then it returns ctx's error).
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return errors.Join(fmt.Errorf("wait interrupted"), ctx.Err())
	case <-t.C:
		return nil
	}
}

func checkRegex(v any) error {
	p := fmt.Sprint(v)
	if _, err := regexp.Compile("(?m)" + p); err != nil {
		return fmt.Errorf("search_regex %q is not a valid regular expression: %w", p, err)
	}
	return nil
}
