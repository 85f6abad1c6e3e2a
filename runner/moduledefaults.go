package runner

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// builtinActionGroups are ansible-core 2.14's action groups
// (lib/ansible/config/ansible_builtin_runtime.yml, action_groups), each with
// the modules of it that ferry has. All but testgroup only extend
// collections' groups (group/aws is amazon.aws's and community.aws's), whose
// modules ferry does not run: their defaults apply to nothing.
var builtinActionGroups = map[string][]string{"testgroup": {"ping"}, "testlegacy": nil, "aws": nil,
	"acme": nil, "azure": nil, "cpm": nil, "docker": nil, "gcp": nil, "k8s": nil, "os": nil, "ovirt": nil, "vmware": nil}

// groupDefaults reads a module_defaults entry group/NAME into groups: a
// short NAME is ansible.builtin's, as Ansible resolves it; a collection's
// group is accepted, its modules being none of ferry's.
func (p *parser) groupDefaults(groups map[string]map[string]any, key string, k, v *yaml.Node) {
	name := strings.TrimPrefix(strings.TrimPrefix(key, "group/"), "ansible.builtin.")
	members, builtin := builtinActionGroups[name]
	if !builtin && !strings.Contains(name, ".") {
		p.errorf(k, "use one of ansible.builtin's groups (aws, azure, docker, gcp, k8s...) or name the modules one by one",
			"module_defaults: could not resolve the group ansible.builtin.%s", name)
		return
	}
	args, _ := p.value(v).(map[string]any)
	for _, m := range members {
		groups[m] = mergeMaps(groups[m], args)
	}
}

// withGroupDefaults puts the groups' defaults under the modules' own, as
// get_action_args_with_defaults merges them (group first, module over it).
func withGroupDefaults(modules, groups map[string]map[string]any) {
	for m, args := range groups {
		modules[m] = mergeMaps(args, modules[m])
	}
}
