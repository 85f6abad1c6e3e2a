package probe

import (
	"context"
	"strings"

	"github.com/ferry-sh/ferry/modules"
)

// setup gathers the minimal facts a play needs (gather_facts): OS, arch, CPU
// count, memory, disks, addresses and hostname, under Ansible's fact names.
type setup struct{}

func init() { modules.Register(setup{}) }

type setupOptions struct {
	GatherSubset []string `opt:"gather_subset" doc:"The fact collectors to return: all (the default), min, hardware, network, or a collector's name; !name leaves one out (!all keeps min). ferry has the facts of platform, distribution, pkg_mgr, service_mgr, user, hardware and network."`
	Filter       []string `opt:"filter" doc:"Return only the facts whose names match one of these shell patterns (ansible_*_mb)."`
}

func (setupOptions) OptionChecks() map[string]func(any) error {
	return map[string]func(any) error{"gather_subset": checkSubsets}
}

func (setup) Spec() modules.Spec {
	return modules.Spec{
		Name:    "setup",
		Summary: "Gather facts about the host: OS, architecture, CPUs, memory, mounts, addresses, hostname.",
		Args:    modules.OptionsOf[setupOptions](),
	}
}

func (setup) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[setupOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	out, err := h.Query(ctx, modules.Command{Shell: factScript})
	if err != nil {
		return modules.Result{}, err
	}
	if out.RC != 0 {
		return modules.Result{Failed: true, Msg: "gathering facts failed: " + strings.TrimSpace(out.Stderr)}, nil
	}
	facts := parseFacts(out.Stdout)
	narrowFacts(facts, o.GatherSubset, o.Filter)
	all := map[string]any{}
	for k, v := range facts {
		all[strings.TrimPrefix(k, "ansible_")] = v
	}
	facts["ansible_facts"] = all
	// Registered, ansible_facts keeps the ansible_ names, as setup returns
	// them; as a variable, ansible_facts drops the prefix (Ansible's
	// namespacing of facts).
	registered := map[string]any{}
	for k, v := range facts {
		if k != "ansible_facts" {
			registered[k] = v
		}
	}
	return modules.Result{Facts: facts, Data: map[string]any{"ansible_facts": registered}}, nil
}
