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

func (addHost) Spec() modules.Spec {
	return modules.Spec{
		Name:    "add_host",
		Summary: "Add a host (and its groups and variables) to the run's inventory, for the plays that follow",
		Args: []modules.Arg{
			{Name: "name", Type: modules.String, Required: true, Aliases: []string{"host", "hostname"}, Doc: "The host's name; `name:port` sets ansible_ssh_port."},
			{Name: "groups", Type: modules.List, Aliases: []string{"group", "groupname"}, Doc: "Groups to put the host in (a list or a comma-separated string), created when new."},
		},
		Controller: true,
		Dynamic:    true, // every other argument is a variable of the host
		Once:       true, // Ansible's BYPASS_HOST_LOOP
	}
}

func (addHost) Run(_ context.Context, _ *modules.Host, args modules.Args) (modules.Result, error) {
	name, vars := args.String("name"), map[string]any{}
	if host, port, err := net.SplitHostPort(name); err == nil {
		if n, err := strconv.Atoi(port); err == nil {
			name, vars["ansible_ssh_port"] = host, n
		}
	}
	var groups []any
	for _, g := range args.Strings("groups") {
		if g = strings.TrimSpace(g); g != "" && !slices.Contains(groups, any(g)) {
			groups = append(groups, g)
		}
	}
	for k, v := range args {
		if k != "name" && k != "groups" {
			vars[k] = v
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

func (groupBy) Spec() modules.Spec {
	return modules.Spec{
		Name:    "group_by",
		Summary: "Put the host in a group named from its variables (key: os_{{ ansible_distribution }}), for the plays that follow",
		Args: []modules.Arg{
			{Name: "key", Type: modules.String, Required: true, Doc: "The group's name; spaces become dashes."},
			{Name: "parents", Type: modules.List, Default: []any{"all"}, Doc: "The groups the new group belongs to."},
		},
		Controller: true,
	}
}

func (groupBy) Run(_ context.Context, _ *modules.Host, args modules.Args) (modules.Result, error) {
	var parents []any
	for _, p := range args.Strings("parents") {
		parents = append(parents, strings.ReplaceAll(p, " ", "-"))
	}
	if parents == nil {
		parents = []any{}
	}
	return modules.Result{Data: map[string]any{
		"add_group":     strings.ReplaceAll(args.String("key"), " ", "-"),
		"parent_groups": parents,
	}}, nil
}
