package template

// MergeHash is Ansible's merge_hash (utils/vars.py) with its defaults:
// src over dst, nested mappings merged, lists replaced; the combine
// filter's recursive merge, for the engine's other users (set_stats'
// aggregation).
func MergeHash(dst, src map[string]any) map[string]any {
	return merge(dst, src, true, "replace", 0)
}
