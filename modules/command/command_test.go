package command_test

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/internal/modtest"
	"github.com/ferry-sh/ferry/modules"
)

func TestCommandRuns(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name   string
		module string
		args   map[string]any
		rc     int
		stdout string
		stderr string
		failed bool
	}{
		{"split words", "command", map[string]any{"cmd": `printf '%s|' "a b" c\ d`}, 0, "a b|c d|", "", false},
		{"no shell", "command", map[string]any{"cmd": "echo $HOME > x"}, 0, "$HOME > x", "", false},
		{"argv", "command", map[string]any{"argv": []any{"printf", "%s", "it's"}}, 0, "it's", "", false},
		{"chdir", "command", map[string]any{"cmd": "pwd", "chdir": dir}, 0, dir, "", false},
		{"stdin newline", "command", map[string]any{"cmd": "od -c", "stdin": "x", "strip_empty_ends": false}, 0, "0000000   x  \\n\n0000002\n", "", false},
		{"stdin raw", "command", map[string]any{"cmd": "wc -c", "stdin": "xy", "stdin_add_newline": false}, 0, "2", "", false},
		{"rc", "command", map[string]any{"cmd": "sh -c 'echo oops >&2; exit 3'"}, 3, "", "oops", true},
		{"missing program", "command", map[string]any{"cmd": "/nonexistent/prog"}, 127, "", "", true},
		{"shell", "shell", map[string]any{"cmd": "echo a; echo b >&2; echo c"}, 0, "a\nc", "b", false},
		{"shell executable", "shell", map[string]any{"cmd": "echo $0", "executable": "/bin/bash"}, 0, "/bin/bash", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := modtest.NewHost(t)
			res, _, err := modtest.Run(t, h, tt.module, tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if res.Data["rc"] != tt.rc || res.Failed != tt.failed {
				t.Fatalf("rc=%v failed=%v, want %d %v (%v)", res.Data["rc"], res.Failed, tt.rc, tt.failed, res.Data)
			}
			if tt.failed && res.Msg != "non-zero return code" {
				t.Errorf("msg = %q", res.Msg)
			}
			if got := res.Data["stdout"]; got != tt.stdout {
				t.Errorf("stdout = %q, want %q", got, tt.stdout)
			}
			if tt.stderr != "" && res.Data["stderr"] != tt.stderr {
				t.Errorf("stderr = %q, want %q", res.Data["stderr"], tt.stderr)
			}
			if len(h.Changes()) != 1 || !strings.HasPrefix(h.Changes()[0], "run: ") {
				t.Errorf("changes = %q, want one run: line", h.Changes())
			}
			for _, k := range []string{"cmd", "start", "end", "delta", "stdout_lines", "stderr_lines", "msg"} {
				if _, ok := res.Data[k]; !ok {
					t.Errorf("result has no %s", k)
				}
			}
		})
	}
}

func TestCommandResultFields(t *testing.T) {
	res, changes := modtest.MustRun(t, modtest.NewHost(t), "command", map[string]any{"cmd": "printf 'a\\nb\\n'"})
	if !reflect.DeepEqual(res.Data["stdout_lines"], []any{"a", "b"}) {
		t.Errorf("stdout_lines = %v", res.Data["stdout_lines"])
	}
	if !reflect.DeepEqual(res.Data["cmd"], []any{"printf", `a\nb\n`}) {
		t.Errorf("cmd = %#v", res.Data["cmd"])
	}
	if changes[0] != `run: printf 'a\nb\n'` {
		t.Errorf("plan line = %q", changes[0])
	}
}

func TestCommandCreatesRemoves(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "my file.done")
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    map[string]any
		check   bool
		runs    bool
		skipped bool
	}{
		// As Ansible's: a command that creates/removes skip is ok and
		// unchanged ("Did not run command since ..."), not skipped.
		{"creates exists", map[string]any{"creates": marker}, false, false, false},
		{"creates glob", map[string]any{"creates": filepath.Join(dir, "my *.done")}, false, false, false},
		{"creates relative to chdir", map[string]any{"creates": "my file.done", "chdir": dir}, false, false, false},
		{"creates missing", map[string]any{"creates": marker + ".x"}, false, true, false},
		{"removes missing", map[string]any{"removes": filepath.Join(dir, "nope*")}, false, false, false},
		{"removes exists", map[string]any{"removes": marker}, false, true, false},
		{"check: creates exists", map[string]any{"creates": marker}, true, false, false},
		{"check: creates missing plans", map[string]any{"creates": marker + ".x"}, true, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "ran")
			h := modtest.NewHost(t)
			h.Check = tt.check
			tt.args["cmd"] = "touch " + out
			res, _, err := modtest.Run(t, h, "command", tt.args)
			if err != nil {
				t.Fatal(err)
			}
			planned := len(h.Changes()) == 1
			_, statErr := os.Stat(out)
			ranForReal := statErr == nil
			if planned != tt.runs || res.Skipped != tt.skipped || ranForReal != (tt.runs && !tt.check) {
				t.Errorf("planned=%v skipped=%v ran=%v msg=%q", planned, res.Skipped, ranForReal, res.Msg)
			}
		})
	}
}

func TestCommandStreamsOutput(t *testing.T) {
	h := modtest.NewHost(t)
	var lines []string
	h.Events = func(e modules.Event) {
		if e.Kind == "output" {
			lines = append(lines, e.Line)
		}
	}
	modtest.MustRun(t, h, "shell", map[string]any{"cmd": "echo one; echo err >&2; printf two"})
	sort.Strings(lines)
	if !reflect.DeepEqual(lines, []string{"err", "one", "two"}) {
		t.Errorf("streamed %q", lines)
	}
}

func TestCommandBadQuoting(t *testing.T) {
	_, _, err := modtest.Run(t, modtest.NewHost(t), "command", map[string]any{"cmd": "echo 'open"})
	if err == nil || !strings.Contains(err.Error(), "no closing quotation") {
		t.Errorf("err = %v", err)
	}
}
