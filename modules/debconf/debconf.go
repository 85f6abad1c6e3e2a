// Package debconf is Ansible's debconf and dpkg_selections modules: the
// answers a Debian package's configuration questions take (debconf-show,
// debconf-set-selections) and the selection dpkg keeps for a package
// (install, hold...). Roles preseed a package before installing it (mysql's
// root password, a license to accept) and hold one at its version.
package debconf

import (
	"context"
	"errors"
	"strings"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

func init() { modules.Register(debconfModule{}) }

type debconfModule struct{}

type debconfOptions struct {
	Name     string  `opt:"name,required" aliases:"pkg" doc:"The package whose questions these are."`
	Question *string `opt:"question" aliases:"selection,setting" doc:"The question (tzdata/Areas); without it the task reads the package's answers."`
	Vtype    *string `opt:"vtype" choices:"boolean,error,multiselect,note,password,seen,select,string,text,title" doc:"The question's type."`
	Value    *string `opt:"value" aliases:"answer" doc:"The answer."`
	Unseen   bool    `opt:"unseen" default:"false" doc:"Leave the question unseen (debconf-set-selections -u)."`
}

func (debconfModule) Spec() modules.Spec {
	return modules.Spec{
		Name:    "debconf",
		Summary: "Answer a Debian package's configuration question (debconf-set-selections)",
		Args:    modules.OptionsOf[debconfOptions](),
		Rules:   []modules.Rule{{Args: []string{"question", "vtype", "value"}, Check: together}},
		Check:   modules.CheckSupported,
		Returns: []string{"changed", "msg", "current", "previous", "diff"}, // the order of Ansible's result
	}
}

// together is required_together: question, vtype and value are given
// all three or none.
func together(a modules.Args) error {
	n := 0
	for _, k := range []string{"question", "vtype", "value"} {
		if v, ok := a[k]; ok && v != nil {
			n++
		}
	}
	if n != 0 && n != 3 {
		return errors.New("parameters are required together: question, vtype, value (give all three, or none to read the answers)")
	}
	return nil
}

// Run follows ansible-core 2.14's modules/debconf.py: the package's
// answers from debconf-show, and the one asked for set with
// debconf-set-selections when it differs.
func (debconfModule) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[debconfOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	prev, order, err := selections(ctx, h, o.Name)
	if err != nil {
		return modules.Result{}, err
	}
	if o.Question == nil {
		return unchanged(prev, order), nil
	}
	if o.Vtype != nil && *o.Vtype == "password" && o.Value != nil {
		h.AddSecret(*o.Value) // a password answer is masked in every output (Ansible prints it)
	}
	value, differs := o.answer(prev)
	if !differs {
		return unchanged(prev, order), nil
	}
	q := *o.Question
	msg := ""
	out, err := hostcmd.ChangeWithInput(ctx, h, "debconf-set-selections "+o.Name+" "+q, setSelectionsScript(o.Unseen),
		strings.Join([]string{o.Name, q, *o.Vtype, boolText(*o.Vtype, value)}, " "))
	if err != nil {
		return modules.Result{}, err
	}
	if out.RC != 0 {
		return modules.Result{Data: map[string]any{"msg": out.Stderr}}, errors.New(out.Stderr)
	}
	msg = out.Stdout
	previous := map[string]any{q: ""}
	if v, ok := prev[q]; ok {
		previous[q] = v
	} else { // debconf.py adds the question to all the answers read
		prev[q] = ""
		previous = modules.Ordered(prev, append(order, q)...)
	}
	data := map[string]any{"msg": msg, "current": map[string]any{q: value}, "previous": previous, "diff": map[string]any{}}
	if h.Diff {
		after := map[string]any{}
		for k, v := range previous {
			after[k] = v
		}
		after[q] = value
		data["diff"] = map[string]any{"before": previous, "after": modules.Ordered(after, append(order, q)...)}
	}
	return modules.Result{Data: data}, nil
}

func unchanged(prev map[string]any, order []string) modules.Result {
	return modules.Result{Data: map[string]any{"msg": "", "current": modules.Ordered(prev, order...)}}
}

// answer is debconf.py's value and changed: the question is not answered,
// or its answer is another (a boolean compared, and then reported, in
// lower case).
func (o debconfOptions) answer(prev map[string]any) (string, bool) {
	value := *o.Value
	existing, ok := prev[*o.Question]
	if !ok {
		return value, true
	}
	have := existing.(string)
	if *o.Vtype == "boolean" {
		value, have = strings.ToLower(value), strings.ToLower(have)
	}
	return value, value != have
}

// boolText is set_selection's True and False, as debconf writes them.
func boolText(vtype, value string) string {
	if vtype == "boolean" {
		switch value {
		case "True":
			return "true"
		case "False":
			return "false"
		}
	}
	return value
}

func setSelectionsScript(unseen bool) string {
	if unseen {
		return "debconf-set-selections -u"
	}
	return "debconf-set-selections"
}

// selections is get_selections: debconf-show's answers, in its order.
func selections(ctx context.Context, h *modules.Host, pkg string) (map[string]any, []string, error) {
	// debconf.py joins the words into one string, so pkg is split as a
	// shell would: the package name is a word of the command.
	out, err := hostcmd.Query(ctx, h, "debconf-show "+hostcmd.Quote(pkg))
	if err != nil {
		return nil, nil, err
	}
	if out.RC != 0 { // fail_json(msg=err)
		return nil, nil, errors.New(out.Stderr)
	}
	answers := map[string]any{}
	var order []string
	for _, line := range strings.Split(out.Stdout, "\n") {
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key = strings.TrimSpace(strings.Trim(key, "*"))
		if _, seen := answers[key]; !seen {
			order = append(order, key)
		}
		answers[key] = strings.TrimSpace(value)
	}
	return answers, order, nil
}
