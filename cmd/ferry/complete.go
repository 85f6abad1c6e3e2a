package main

import (
	"os"
	"slices"

	"github.com/spf13/cobra"

	"github.com/ferry-sh/ferry/config"
	"github.com/ferry-sh/ferry/inventory"
	"github.com/ferry-sh/ferry/modules"
)

// Shell completion: cobra's `ferry completion bash|zsh|fish` scripts call
// back into ferry (`ferry __complete ...`) for the dynamic parts below.

// completeModules offers the module names.
func completeModules(_ *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
	return modules.Names(), cobra.ShellCompDirectiveNoFileComp
}

// completePlaybooks offers YAML files for the playbook argument.
func completePlaybooks(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return []string{"yml", "yaml"}, cobra.ShellCompDirectiveFilterFileExt
}

// completeHostPatterns offers the host and group names of the inventory the
// command line names with -i.
func completeHostPatterns(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
	return inventoryNames(cmd, false)
}

// inventoryNames are the hosts (and, unless hostsOnly, the groups) of the
// command's -i inventories; nothing when they cannot be loaded.
func inventoryNames(cmd *cobra.Command, hostsOnly bool) ([]string, cobra.ShellCompDirective) {
	sources := inventorySources(cmd)
	if len(sources) == 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	inv, err := inventory.Load(sources...)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var names []string
	for _, h := range inv.Hosts() {
		names = append(names, h.Name)
	}
	if !hostsOnly {
		for g := range inv.GroupMembers() {
			names = append(names, g)
		}
	}
	slices.Sort(names)
	return slices.Compact(names), cobra.ShellCompDirectiveNoFileComp
}

// inventorySources are the command's -i values, else the config's inventory.
func inventorySources(cmd *cobra.Command) []string {
	if sources, _ := cmd.Flags().GetStringArray("inventory"); len(sources) > 0 {
		return sources
	}
	cwd, _ := os.Getwd()
	home, _ := os.UserHomeDir()
	if cfg, err := config.Load(os.LookupEnv, cwd, home); err == nil {
		return cfg.Inventory
	}
	return nil
}
