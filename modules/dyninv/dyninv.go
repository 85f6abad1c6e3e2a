// Package dyninv holds add_host and group_by, the modules that change the
// run's inventory. As in Ansible (action/add_host.py, action/group_by.py),
// a module only describes the change in its result (add_host, add_group);
// the runner applies it between tasks and reports whether it changed
// anything.
package dyninv

import (
	"context"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/ferry-sh/ferry/modules"
)

func init() {
	modules.Register(addHost{})
	modules.Register(groupBy{})
}

type addHost struct{}

// addHostOptions are add_host's fixed options; every other argument is a
// variable of the host.
type addHostOptions struct {
	Name   string   "opt:\"name,required\" aliases:\"host,hostname\" doc:\"The host's name; `name:port` sets ansible_ssh_port.\""
	Groups []string `opt:"groups" aliases:"group,groupname" doc:"Groups to put the host in (a list or a comma-separated string), created when new."`
}

func (addHost) Spec() modules.Spec {
	return modules.Spec{
		Name:       "add_host",
		Returns:    []string{"changed", "add_host"}, // the order of Ansible's result
		Summary:    "Add a host (and its groups and variables) to the run's inventory, for the plays that follow",
		Args:       modules.OptionsOf[addHostOptions](),
		Controller: true,
		Dynamic:    true, // every other argument is a variable of the host
		Once:       true, // Ansible's BYPASS_HOST_LOOP
	}
}

func (addHost) Run(_ context.Context, _ *modules.Host, args modules.Args) (modules.Result, error) {
	o, rest, err := modules.DecodeDynamic[addHostOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	name, vars := o.Name, map[string]any(rest)
	if host, port, err := net.SplitHostPort(name); err == nil {
		if n, err := strconv.Atoi(port); err == nil {
			name, vars["ansible_ssh_port"] = host, n
		}
	}
	var groups []any
	for _, g := range o.Groups {
		if g = strings.TrimSpace(g); g != "" && !slices.Contains(groups, any(g)) {
			groups = append(groups, g)
		}
	}
	if groups == nil {
		groups = []any{}
	}
	return modules.Result{Data: map[string]any{
		"add_host": map[string]any{"host_name": name, "groups": groups, "host_vars": vars},
	}}, nil
}

type groupBy struct{}

type groupByOptions struct {
	Key     string   `opt:"key,required" doc:"The group's name; spaces become dashes."`
	Parents []string `opt:"parents" default:"all" doc:"The groups the new group belongs to."`
}

func (groupBy) Spec() modules.Spec {
	return modules.Spec{
		Name:       "group_by",
		Returns:    []string{"changed", "add_group", "parent_groups"}, // the order of Ansible's result
		Summary:    "Put the host in a group named from its variables (key: os_{{ ansible_distribution }}), for the plays that follow",
		Args:       modules.OptionsOf[groupByOptions](),
		Controller: true,
	}
}

func (groupBy) Run(_ context.Context, _ *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[groupByOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	var parents []any
	for _, p := range o.Parents {
		parents = append(parents, strings.ReplaceAll(p, " ", "-"))
	}
	if parents == nil {
		parents = []any{}
	}
	return modules.Result{Data: map[string]any{
		"add_group":     strings.ReplaceAll(o.Key, " ", "-"),
		"parent_groups": parents,
	}}, nil
}
