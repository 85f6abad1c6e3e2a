package control_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ferry-sh/ferry/internal/modtest"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/control"
)

func TestDebug(t *testing.T) {
	vars := modtest.Vars{"port": 8080, "names": []any{"a", "b"}}
	tests := []struct {
		name      string
		args      map[string]any
		verbosity int
		msg       string
		data      map[string]any
		skipped   bool
	}{
		{"default", map[string]any{}, 0, "Hello world!", map[string]any{"msg": "Hello world!"}, false},
		{"msg", map[string]any{"msg": "hi"}, 0, "hi", map[string]any{"msg": "hi"}, false},
		{"msg list", map[string]any{"msg": []any{"a", 1}}, 0, "[\n    \"a\",\n    1\n]", map[string]any{"msg": []any{"a", 1}}, false},
		{"var", map[string]any{"var": "port"}, 0, "", map[string]any{"port": 8080}, false},
		{"var expression", map[string]any{"var": "port + 1"}, 0, "", map[string]any{"port + 1": 8081}, false},
		{"undefined var", map[string]any{"var": "nope"}, 0, "", map[string]any{"nope": "VARIABLE IS NOT DEFINED!"}, false},
		{"below verbosity", map[string]any{"msg": "x", "verbosity": 2}, 1, "Verbosity threshold not met.", map[string]any{"skipped_reason": "Verbosity threshold not met."}, true},
		{"at verbosity", map[string]any{"msg": "x", "verbosity": 2}, 2, "x", map[string]any{"msg": "x"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := modtest.NewHost(t)
			h.Vars, h.Verbosity = vars, tt.verbosity
			res, _, err := modtest.Run(t, h, "debug", tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if res.Msg != tt.msg || res.Skipped != tt.skipped || !reflect.DeepEqual(res.Data, tt.data) {
				t.Errorf("got msg %q skipped %v data %v", res.Msg, res.Skipped, res.Data)
			}
		})
	}
}

func TestAssert(t *testing.T) {
	vars := modtest.Vars{"port": 8080, "items": []any{}, "name": "dash"}
	tests := []struct {
		name      string
		args      map[string]any
		failed    bool
		msg       string
		assertion string
	}{
		{"one true", map[string]any{"that": "port == 8080"}, false, "All assertions passed", ""},
		{"list all true", map[string]any{"that": []any{"port > 80", "name == 'dash'"}}, false, "All assertions passed", ""},
		{"first false wins", map[string]any{"that": []any{"port > 80", "items", "port < 0"}}, true, "Assertion failed", "items"},
		{"fail_msg", map[string]any{"that": "port == 1", "fail_msg": "wrong port"}, true, "wrong port", "port == 1"},
		{"msg alias", map[string]any{"that": "port == 1", "msg": "wrong"}, true, "wrong", "port == 1"},
		{"success_msg", map[string]any{"that": "name", "success_msg": "ok!"}, false, "ok!", ""},
		{"quiet", map[string]any{"that": "name", "quiet": true}, false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := modtest.NewHost(t)
			h.Vars = vars
			res, _, err := modtest.Run(t, h, "assert", tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if res.Failed != tt.failed || res.Msg != tt.msg {
				t.Errorf("failed %v msg %q", res.Failed, res.Msg)
			}
			if tt.failed && (res.Data["assertion"] != tt.assertion || res.Data["evaluated_to"] != false) {
				t.Errorf("data = %v", res.Data)
			}
		})
	}
	h := modtest.NewHost(t)
	if _, _, err := modtest.Run(t, h, "assert", map[string]any{"that": "port =="}); err == nil || !strings.Contains(err.Error(), `"port =="`) {
		t.Errorf("bad expression error = %v", err)
	}
}

func TestTruthy(t *testing.T) {
	truthy := []any{true, 1, -1, 0.5, "x", "false", []any{0}, map[string]any{"a": 1}, []string{"a"}}
	falsy := []any{nil, false, 0, 0.0, "", []any{}, map[string]any{}, int64(0), uint(0)}
	for _, v := range truthy {
		if !control.Truthy(v) {
			t.Errorf("Truthy(%#v) = false", v)
		}
	}
	for _, v := range falsy {
		if control.Truthy(v) {
			t.Errorf("Truthy(%#v) = true", v)
		}
	}
}

func TestFail(t *testing.T) {
	for args, want := range map[string]string{"": "Failed as requested from task", "boom": "boom"} {
		raw := map[string]any{}
		if args != "" {
			raw["msg"] = args
		}
		res, _, err := modtest.Run(t, modtest.NewHost(t), "fail", raw)
		if err != nil || !res.Failed || res.Msg != want {
			t.Errorf("fail %v: %+v %v", raw, res, err)
		}
	}
}

func TestSetFact(t *testing.T) {
	res, changes := modtest.MustRun(t, modtest.NewHost(t), "set_fact", map[string]any{"a": 1, "b": []any{"x"}, "cacheable": true})
	if !reflect.DeepEqual(res.Facts, map[string]any{"a": 1, "b": []any{"x"}}) || len(changes) != 0 {
		t.Errorf("facts %v changes %q", res.Facts, changes)
	}
	for _, bad := range []string{"bad-name", "import"} { // isidentifier refuses Python's keywords too
		res, _, err := modtest.Run(t, modtest.NewHost(t), "set_fact", map[string]any{bad: 1})
		if err != nil || !res.Failed || res.Msg != "The variable name '"+bad+"' is not valid. Variables must start with a letter or underscore character, and contain only letters, numbers and underscores." {
			t.Errorf("set_fact %s: %+v %v", bad, res, err)
		}
	}
	if _, _, err := modtest.Run(t, modtest.NewHost(t), "set_fact", map[string]any{}); err == nil {
		t.Error("an empty set_fact must fail")
	}
}

// recordingConsole is what pause shows and asks, with answers given.
type recordingConsole struct {
	interactive bool
	answer      string
	shown       []string
	waited      time.Duration
	asked       string
	echo        bool
}

func (c *recordingConsole) Display(lines ...string) { c.shown = append(c.shown, lines...) }
func (c *recordingConsole) Warn(msg string)         { c.shown = append(c.shown, "[WARNING]: "+msg) }
func (c *recordingConsole) Interactive() bool       { return c.interactive }
func (c *recordingConsole) Wait(ctx context.Context, d time.Duration) error {
	c.waited = d
	return ctx.Err()
}
func (c *recordingConsole) Ask(_ context.Context, prompt string, echo bool) (string, error) {
	c.asked, c.echo = prompt, echo
	return c.answer, nil
}

// pause shows Ansible's lines, waits at least a second, reads a prompt's
// answer only at a terminal (masking one typed unseen), and a cancelled
// run ends it.
func TestPause(t *testing.T) {
	c := &recordingConsole{}
	h := modtest.NewHost(t)
	h.Console, h.Task = c, "wait"
	res, _ := modtest.MustRun(t, h, "pause", map[string]any{"seconds": 0, "prompt": "Look"})
	want := []string{"Pausing for 1 seconds", "(ctrl+C = abort)", "[wait]\nLook:"}
	if c.waited != time.Second || !reflect.DeepEqual(c.shown, want) || res.Data["stdout"] != "Paused for 0.0 seconds" {
		t.Errorf("waited %v, shown %q, result %v", c.waited, c.shown, res.Data)
	}

	c = &recordingConsole{}
	h.Console = c
	res, _ = modtest.MustRun(t, h, "pause", map[string]any{})
	want = []string{"[wait]\nPress enter to continue, Ctrl+C to interrupt:", "[WARNING]: Not waiting for response to prompt as stdin is not interactive"}
	if !reflect.DeepEqual(c.shown, want) || res.Data["user_input"] != "" || res.Data["stdout"] != "Paused for 0.0 minutes" {
		t.Errorf("without a terminal: shown %q, result %v", c.shown, res.Data)
	}

	var secrets []string
	c = &recordingConsole{interactive: true, answer: "typed-unseen"}
	h.Console, h.Secret = c, func(s string) { secrets = append(secrets, s) }
	res, _ = modtest.MustRun(t, h, "pause", map[string]any{"prompt": "Password", "echo": false})
	if c.asked != "[wait]\nPassword (output is hidden):" || c.echo || res.Data["user_input"] != "typed-unseen" || !slices.Contains(secrets, "typed-unseen") {
		t.Errorf("at a terminal: asked %q echo %v, result %v, secrets %q", c.asked, c.echo, res.Data, secrets)
	}

	m, _ := modules.Lookup("pause")
	args, _ := m.Spec().Bind(map[string]any{"minutes": 60})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h.Console = &recordingConsole{}
	if _, err := m.Run(ctx, h, args); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled pause error = %v", err)
	}
}
