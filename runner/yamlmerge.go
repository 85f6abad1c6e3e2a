package runner

import "gopkg.in/yaml.v3"

// mergedPairs is a mapping's key and value nodes with YAML merge keys
// (`<<: *anchor`, `<<: [*a, *b]`) spelled out as Ansible's loader does
// (PyYAML's flatten_mapping, then AnsibleConstructor.construct_mapping):
// the merged pairs come first (of a list of mappings, the last's first),
// then the explicit ones; a key keeps the place of its first pair and takes
// the value of its last, so an explicit key wins over a merged one and an
// earlier mapping of a list over a later one (willshersystems.sshd's
// `vars: {<<: *share_vars}`). A mapping without merge keys is as it is.
func mergedPairs(n *yaml.Node) []*yaml.Node {
	var merged, explicit []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !isMergeKey(k) {
			explicit = append(explicit, k, v)
			continue
		}
		sources := mergeSources(v)
		for j := len(sources) - 1; j >= 0; j-- {
			merged = append(merged, mergedPairs(sources[j])...)
		}
	}
	if len(explicit) == len(n.Content) {
		return n.Content
	}
	all := append(merged, explicit...)
	at := map[string]int{}
	var out []*yaml.Node
	for i := 0; i+1 < len(all); i += 2 {
		k, v := all[i], all[i+1]
		if j, seen := at[k.Value]; seen {
			out[j+1] = v
			continue
		}
		at[k.Value] = len(out)
		out = append(out, k, v)
	}
	return out
}

func isMergeKey(k *yaml.Node) bool { return k.Kind == yaml.ScalarNode && k.Tag == "!!merge" }

// mergeSources are the mappings a merge key's value names: one, or each of
// a list of them.
func mergeSources(v *yaml.Node) []*yaml.Node {
	v = resolveAlias(v)
	switch v.Kind {
	case yaml.MappingNode:
		return []*yaml.Node{v}
	case yaml.SequenceNode:
		var out []*yaml.Node
		for _, item := range v.Content {
			if item = resolveAlias(item); item.Kind == yaml.MappingNode {
				out = append(out, item)
			}
		}
		return out
	}
	return nil
}
