// Package modules is the framework every task module is written against:
// the Module contract (Spec, options, Result), the Host a module sees its
// host through (probes, the Change gate and its Writer), and the host
// helpers modules share (file installs, path probes), exported deliberately.
// It holds no module: each lives in a package of its own under modules/
// (registered in modules/all) that sees only this exported API, so no module
// can reach the host's connection but through the gate. A module never
// imports the runner; what it needs from the run reaches it through *Host.
package modules

import (
	"context"
	"errors"
	"sort"
	"sync"

	"github.com/ferry-sh/ferry/internal/keyorder"
	"github.com/ferry-sh/ferry/transport"
	"github.com/ferry-sh/ferry/vault"
)

// Module is one kind of task: command, copy, kurl...
type Module interface {
	// Spec declares the module's arguments once; the runner validates task
	// arguments against it and `ferry doc` prints it.
	Spec() Spec
	// Run converges the host. It reads the host through the probes (Stat,
	// Open, Query, Dialer) and changes it only through h.Change, whose
	// Writer is the one handle that writes (gate.go); check mode turns each
	// change into a plan line. A returned error fails the
	// task; a Result with Failed set fails it too but keeps the result's data
	// for register (for example rc and stdout of a failed command).
	Run(ctx context.Context, h *Host, args Args) (Result, error)
}

// VarsFileReader is a module that reads variables files on the controller
// (include_vars). The runner lists them before the run, to know the names
// they define, through this interface rather than the module's package.
type VarsFileReader interface {
	VarsFiles(base string, args Args) ([]string, error)
}

// CheckMode says how a module behaves under --check.
type CheckMode int

// The runner decides from it, never the module; a task with check_mode:
// false runs any module for real (the runner clears Host.Check).
const (
	// CheckSupported: the module runs in check mode; its probes read the
	// host, and its changes become plan lines through the gate.
	CheckSupported CheckMode = iota
	// CheckSkip: the module cannot predict its effect, so in check mode the
	// runner does not call Run and reports Ansible's skip ("remote module
	// (name) does not support check mode").
	CheckSkip
	// CheckIfDecided: as CheckSkip, unless one of Spec.Deciders is given
	// (command and shell: creates, removes); then Run runs, its probes
	// decide and the gate plans.
	CheckIfDecided
)

// CheckSkipper is a module whose check-mode skip (Spec.Check) registers
// what depends on the task's arguments, beyond Spec.CheckSkipData: command
// and shell return their whole result (cmd, empty stdout...), as Ansible's
// command module does. The runner calls it instead of Run, which does not
// run in that case.
type CheckSkipper interface {
	CheckSkipped(args Args) map[string]any
}

// Result is what a module reports. Whether the task changed anything is not
// part of it: the gate (Host.Change) is the one source of that truth.
type Result struct {
	Msg     string
	Failed  bool           // the module ran but the outcome is a failure (rc != 0, assertion false)
	Skipped bool           // the module decided there was nothing to do (creates/removes)
	Data    map[string]any // fields for register: rc, stdout, dest, ...
	Facts   map[string]any // host facts to set (set_fact, gathered facts)
	Diffs   []Diff         // before/after for --diff
	// Show asks for the result to be printed even at verbosity 0 (Ansible's
	// _ansible_verbose_always): debug's message, assert's success message.
	Show bool
	// Returns, when set, is this result's key order instead of the Spec's:
	// for a module whose Ansible action returns another module's result
	// in some cases (copy: the file module's when the content is there).
	Returns []string
}

// Diff is the before and after of one thing the task changes.
type Diff struct {
	Path   string `json:"path"`
	Before string `json:"before"`
	After  string `json:"after"`
	// Prepared is a change told as text, not as before and after (apt's
	// plan, Ansible's diff.prepared): --diff shows it as it is.
	Prepared string `json:"prepared,omitempty"`
}

// Vars gives a module access to the task's variables, for the few modules that
// evaluate expressions themselves (assert, debug var=) or render text (template).
type Vars interface {
	Eval(expr string) (any, error)
	Render(text string) (string, error)
	// Template is Ansible's templar.template of a text: a text without
	// template syntax is itself; an output that is a list, dict or bool
	// literal ("[1, 2]", "True") reads back as that value.
	Template(text string) (any, error)
}

// ErrUndefined is what a Vars implementation's Eval wraps when an expression
// names a variable that is not defined; debug var= shows such a variable as
// Ansible does instead of failing.
var ErrUndefined = errors.New("undefined variable")

// FileRenderer is a Vars that renders a template file as Ansible's template
// action does, with template_path, ansible_managed and the other
// variables it adds for the file.
type FileRenderer interface {
	RenderFile(f TemplateFile) (string, error)
}

// TemplateFile is a template file to render: its text, src as the task
// gives it, its path on the controller, dest, and the Jinja settings of
// the task.
type TemplateFile struct {
	Text, Src, Path, Dest    string
	TrimBlocks, LstripBlocks bool
}

// Host is a module's view of the host it runs against.
type Host struct {
	Name string // inventory_hostname
	// Conn is the host's connection, sealed: a module reaches the host only
	// through the probes and the gate (gate.go). Nil for controller modules.
	Conn   SealedConn
	Check  bool // --check: report, change nothing
	Diff   bool // --diff: report before/after
	Become *Become
	Vars   Vars
	// BaseDir is the playbook's directory: a relative src (copy, template)
	// is looked up in BaseDir/files or BaseDir/templates, then in BaseDir,
	// when SearchPath is empty.
	BaseDir string
	// SearchPath is the task's search path (ansible_search_path: its role,
	// the roles that brought it in, its file's directory, the playbook's),
	// where ControllerFile looks for a relative src.
	SearchPath []string
	// Vault opens vault-encrypted copy and template sources (nil: no vault
	// password was given).
	Vault *vault.Keyring
	// Verbosity is the run's -v count; debug skips itself below its
	// verbosity argument, as Ansible does.
	Verbosity int
	// Events receives progress and streamed output; nil discards them.
	Events func(Event)
	// Secret registers a value the module learned (a generated password) so
	// that every output path masks it from now on.
	Secret func(value string)
	// Cache is shared by the tasks of one host for the whole run (a
	// Kubernetes client built once per host, say).
	Cache *sync.Map
	// Reconnect reaches the host again, opening its connection anew when it
	// is broken or was never made, and runs a command that only reads
	// (wait_for_connection).
	Reconnect func(ctx context.Context) error
	// Task is the task's name as its header shows it.
	Task string
	// Console is the person running ferry, for the controller modules
	// that talk to them (pause).
	Console Console

	mu          sync.Mutex
	planned     []string
	onlyPlanned bool // a change was planned, not made (gate.go: pending)
}

// The transport types, under the names modules have always used: a module
// reaches its host through a Conn, whatever carries it.
type (
	Conn     = transport.Conn
	Command  = transport.Command
	Output   = transport.Output
	FileInfo = transport.FileInfo
	Dialer   = transport.Dialer
	Become   = transport.Become
)

// Event is something a module reports while it runs.
type Event struct {
	Kind  string // "progress" or "output"
	Line  string // for output
	Done  int64  // bytes done, for progress
	Total int64
}

// Emit sends an event if anyone listens.
func (h *Host) Emit(e Event) {
	if h.Events != nil {
		h.Events(e)
	}
}

// AddSecret masks value on every output path from now on.
func (h *Host) AddSecret(value string) {
	if h.Secret != nil && value != "" {
		h.Secret(value)
	}
}

var registry = map[string]Module{}

// Register adds a module under its spec name; modules call it from init.
func Register(m Module) {
	name := m.Spec().Name
	if _, dup := registry[name]; dup {
		panic("modules: duplicate module " + name)
	}
	registry[name] = m
}

// Lookup returns the module called name.
func Lookup(name string) (Module, bool) {
	m, ok := registry[name]
	return m, ok
}

// Names lists the registered modules, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Ordered records keys as m's key order, as a Python dict keeps the order
// Ansible's module built it in (a nested dict of a result: stat's stat, a
// fact); m's other keys come after, sorted. It returns m.
func Ordered(m map[string]any, keys ...string) map[string]any {
	present := make([]string, 0, len(m))
	for _, k := range keys {
		if _, ok := m[k]; ok {
			present = append(present, k)
		}
	}
	keyorder.Set(m, present)
	return m
}
