package runner

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	"golang.org/x/term"
	"gopkg.in/yaml.v3"

	"github.com/ferry-sh/ferry/internal/suggest"
	"github.com/ferry-sh/ferry/modules"
)

// PlayOptions are the play keywords beyond the basic ones.
type PlayOptions struct {
	When          []string       // from import_playbook's when
	Collections   []string       // searched for short role names
	RunOnce       bool           // every task runs on the first host only
	IgnoreErrors  any            // given to every task
	DiffMode      *bool          // given to every task
	Order         string         // inventory, reverse_inventory, sorted, reverse_sorted, shuffle
	Throttle      int            // at most this many hosts at once (0: --forks)
	Strategy      string         // linear or free (free.go)
	ForceHandlers bool           // as --force-handlers, for this play
	Prompts       []VarPrompt    // vars_prompt
	Keywords      map[string]any // connection keywords as connection variables, below every variable (connkw.go)

	IgnoreUnreachable *bool // given to every task
	Timeout           any   // given to every task: int or template
}

// VarPrompt is one vars_prompt entry.
type VarPrompt struct {
	Pos     Pos
	Name    string
	Prompt  string
	Default any
	Private bool
	Confirm bool // asked twice, until both answers match
	// Encrypt is the crypt scheme the answer is hashed with (md5_crypt,
	// sha256_crypt, sha512_crypt), with Salt or a random salt of SaltSize.
	Encrypt  string
	Salt     string
	SaltSize int
}

var orders = []string{"inventory", "reverse_inventory", "sorted", "reverse_sorted", "shuffle"}

// playKeyword reads the play keywords of PlayOptions; false for any other.
func (p *parser) playKeyword(play *Play, key string, k, v *yaml.Node) bool {
	o := &play.PlayOptions
	switch key {
	case "collections":
		o.Collections = p.strList(v)
		p.pc.collections = o.Collections
	case "run_once":
		o.RunOnce = p.boolean(v)
	case "ignore_errors":
		o.IgnoreErrors = p.boolOrTemplate(v)
	case "diff":
		b := p.boolean(v)
		o.DiffMode = &b
	case "order":
		o.Order = p.str(v)
		if !slices.Contains(orders, o.Order) {
			p.errorf(v, suggest.Hint(o.Order, orders), "unknown host order %q", o.Order)
		}
	case "throttle":
		o.Throttle = p.throttle(v)
	case "strategy":
		o.Strategy = p.str(v)
		if o.Strategy != "linear" && o.Strategy != "free" {
			p.errorf(v, "use linear or free", "strategy %q is not supported", o.Strategy)
		}
	case "force_handlers":
		o.ForceHandlers = p.boolean(v)
	case "vars_prompt":
		o.Prompts = p.varsPrompt(v)
	case "remote_user", "port", "connection", "become_method", "become_exe", "become_flags":
		p.connectionKeyword(&o.Keywords, key, v)
		if key == "connection" {
			play.Connection = p.str(v)
		}
	case "ignore_unreachable":
		b := p.boolean(v)
		o.IgnoreUnreachable = &b
	case "timeout":
		o.Timeout = p.intOrTemplate(v)
	case "debugger", "fact_path":
		p.str(v) // no interactive debugger; ferry reads no local facts
	case "gather_subset", "gather_timeout":
		p.value(v) // facts are gathered whole, quickly: nothing to narrow
	case "module_defaults":
		p.moduleDefaults(play, v)
	default:
		return false
	}
	return true
}

func (p *parser) varsPrompt(n *yaml.Node) []VarPrompt {
	var out []VarPrompt
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "list the prompts, each with name: and prompt:", "vars_prompt must be a list, not %s", kindName(n))
		return nil
	}
	keys := []string{"name", "prompt", "default", "private", "confirm", "encrypt", "salt", "salt_size", "unsafe"}
	for _, e := range n.Content {
		vp := VarPrompt{Pos: posOf(p.file, e), Private: true}
		p.mapping(e, "a vars_prompt entry", func(key string, k, v *yaml.Node) {
			switch key {
			case "name":
				vp.Name = p.identifier(v)
			case "prompt":
				vp.Prompt = p.str(v)
			case "default":
				vp.Default = p.value(v)
			case "private":
				vp.Private = p.boolean(v)
			case "confirm":
				vp.Confirm = p.boolean(v)
			case "unsafe":
				p.boolean(v)
			case "encrypt", "salt", "salt_size":
				p.promptEncryption(&vp, key, v)
			default:
				p.errorf(k, suggest.Hint(key, keys), "unknown vars_prompt key %q", key)
			}
		})
		if vp.Name == "" {
			p.errorf(e, "add name:", "the vars_prompt entry has no name")
			continue
		}
		out = append(out, vp)
	}
	return out
}

// moduleDefaults reads module_defaults: per module, arguments that its
// tasks get when they do not set them. Applied to the play's tasks after
// they are read (applyModuleDefaults).
func (p *parser) moduleDefaults(play *Play, n *yaml.Node) {
	play.ModuleDefaults = p.moduleDefaultsMap(n)
}

// moduleDefaultsMap reads a play's, block's or task's module_defaults:
// per module, its default arguments (a group's given to its modules).
func (p *parser) moduleDefaultsMap(n *yaml.Node) map[string]map[string]any {
	out := map[string]map[string]any{}
	groups := map[string]map[string]any{}
	defer withGroupDefaults(out, groups)
	p.mapping(n, "module_defaults", func(key string, k, v *yaml.Node) {
		name := modules.BuiltinName(key)
		if strings.HasPrefix(key, "group/") {
			p.groupDefaults(groups, key, k, v)
			return
		}
		if !isModule(name) {
			p.errorf(k, suggest.Hint(name, modules.Names()), "module_defaults: unknown module %q", key)
			return
		}
		args, _ := p.value(v).(map[string]any)
		out[name] = args
	})
	return out
}

// orderHosts applies the play's order keyword.
func orderHosts(hosts []*hostState, order string) []*hostState {
	out := slices.Clone(hosts)
	switch order {
	case "reverse_inventory":
		slices.Reverse(out)
	case "sorted":
		sort.SliceStable(out, func(i, j int) bool { return out[i].name < out[j].name })
	case "reverse_sorted":
		sort.SliceStable(out, func(i, j int) bool { return out[i].name > out[j].name })
	}
	return out
}

// stdinIsTerminal reports whether vars_prompt can ask on this terminal.
var stdinIsTerminal = func() bool { return term.IsTerminal(int(os.Stdin.Fd())) }

// unansweredPrompts are the play's vars_prompt names that -e does not set.
func unansweredPrompts(play *Play, extraVars map[string]any) []VarPrompt {
	var out []VarPrompt
	for _, vp := range play.Prompts {
		if _, ok := extraVars[vp.Name]; !ok {
			out = append(out, vp)
		}
	}
	return out
}

// promptVars asks for the play's unanswered vars_prompt values on the
// terminal (private ones without echo, and masked from then on), and gives
// the answers to the play as play vars: a confirmed one is asked again
// until both answers match, an encrypted one is hashed, as ansible-core
// 2.14's Display.do_var_prompt does.
func (r *Runner) promptVars(play *Play) error {
	prompts := unansweredPrompts(play, r.opts.ExtraVars)
	if len(prompts) == 0 {
		return nil
	}
	answers := map[string]any{}
	in := bufio.NewReader(os.Stdin)
	for _, vp := range prompts {
		text := vp.Prompt
		if text == "" {
			text = vp.Name
		}
		if vp.Default != nil {
			text += fmt.Sprintf(" [%v]", vp.Default)
		}
		answer, err := confirmedAnswer(vp, text, in)
		if err != nil {
			return fmt.Errorf("%s: vars_prompt %s: %w", vp.Pos, vp.Name, err)
		}
		var v any = answer
		if answer == "" && vp.Default != nil {
			v = vp.Default
		}
		if v, err = encryptAnswer(vp, v); err != nil {
			return err
		}
		if vp.Private && answer != "" {
			r.opts.Masker.Add(answer)
			r.opts.Masker.Add(fmt.Sprint(v)) // its hash, when encrypted
		}
		answers[vp.Name] = v
	}
	play.Vars = mergeMaps(play.Vars, answers)
	return nil
}

// confirmedAnswer asks once, or (confirm) until two answers match.
func confirmedAnswer(vp VarPrompt, text string, in *bufio.Reader) (string, error) {
	for {
		answer, err := askPrompt(text, vp.Private, in)
		if err != nil || !vp.Confirm {
			return answer, err
		}
		again, err := askPrompt("confirm "+text, vp.Private, in)
		if err != nil || again == answer {
			return answer, err
		}
		fmt.Fprintln(os.Stderr, "***** VALUES ENTERED DO NOT MATCH ****")
	}
}

// askPrompt shows text and reads one answer from the terminal, without
// echo when private (a variable: the tests answer in its place).
var askPrompt = func(text string, private bool, in *bufio.Reader) (string, error) {
	fmt.Fprintf(os.Stderr, "%s: ", text)
	if private {
		b, err := term.ReadPassword(int(os.Stdin.Fd()))
		fmt.Fprintln(os.Stderr)
		return string(b), err
	}
	line, err := in.ReadString('\n')
	if err != nil && line == "" {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// throttle reads a play, block or task throttle: a whole number of hosts.
func (p *parser) throttle(v *yaml.Node) int {
	n, ok := p.intOrTemplate(v).(int)
	if !ok {
		p.errorf(v, "give a whole number of hosts", "throttle must be a whole number, not %q", v.Value)
	}
	return n
}
