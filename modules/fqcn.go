package modules

import "strings"

// Canonical is the registered name of the module a task names: the short
// name as it is, ansible.builtin.copy and ansible.legacy.copy as copy, and
// a collection module by its full name (community.general.ini_file) when
// its Spec.Collection is that collection. Anything else is returned as it
// is, for the caller to report as unknown.
func Canonical(name string) string {
	short := BuiltinName(name)
	if short != name {
		return short
	}
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return name
	}
	if m, ok := registry[name[i+1:]]; ok && m.Spec().Collection != "" && m.Spec().Collection == name[:i] {
		return name[i+1:]
	}
	return name
}

// BuiltinName is the short name of an ansible-core plugin (module, action,
// connection, become method): ansible.builtin.X and ansible.legacy.X are X,
// as ansible-core's plugin loader resolves them. Any other name is returned
// as it is.
func BuiltinName(name string) string {
	return strings.TrimPrefix(strings.TrimPrefix(name, "ansible.builtin."), "ansible.legacy.")
}
