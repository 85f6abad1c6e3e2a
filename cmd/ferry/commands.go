package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ferry-sh/ferry/inventory"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/runner"
	"github.com/ferry-sh/ferry/vault"
)

func inventoryCommand() *cobra.Command {
	var sources []string
	var list, graph bool
	var host string
	var vaultSources vault.Sources
	cmd := &cobra.Command{
		Use:   "inventory -i INVENTORY --list | --graph [GROUP] | --host NAME",
		Short: "show an inventory as ansible-inventory does",
		Args:  cobra.MaximumNArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return inventoryNames(cmd, false)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			sources = inventorySources(cmd)
			if len(sources) == 0 || (!list && host == "" && !graph) {
				return usagef("inventory needs -i and one of --list, --graph, --host")
			}
			vaultSources.Getenv = configGetenv()
			keys, err := vault.Load(vaultSources)
			if err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "ERROR: %v\n", err)
				return codeError(runner.ExitInvalid)
			}
			inv, err := inventory.LoadVault(keys, sources...)
			if err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "ERROR: %v\n", err)
				return codeError(runner.ExitInvalid)
			}
			out, err := showInventory(inv, list, host, graph, args)
			if err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "ERROR: %v\n", err)
				return codeError(runner.ExitError)
			}
			masked := runner.NewMasker(append(inv.Secrets(), keys.Passwords()...)...).String(string(out))
			fmt.Fprintln(cmd.OutOrStdout(), strings.TrimRight(masked, "\n"))
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringArrayVarP(&sources, "inventory", "i", nil, "inventory file or directory (repeatable)")
	fs.BoolVar(&list, "list", false, "print the whole inventory as JSON (like ansible-inventory --list)")
	fs.StringVar(&host, "host", "", "print one host's variables as JSON")
	fs.BoolVar(&graph, "graph", false, "print the group tree (of GROUP, default all)")
	addVaultFlags(fs, &vaultSources)
	_ = cmd.RegisterFlagCompletionFunc("host", func(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		return inventoryNames(cmd, true)
	})
	return cmd
}

func showInventory(inv *inventory.Inventory, list bool, host string, graph bool, args []string) ([]byte, error) {
	switch {
	case list:
		return inv.ListJSON()
	case host != "":
		return inv.HostJSON(host)
	}
	group := "all"
	if len(args) == 1 {
		group = args[0]
	}
	g, err := inv.Graph(group)
	return []byte(g), err
}

func docCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "doc [MODULE]",
		Short: "list the modules, or one module's arguments",
		Args:  cobra.MaximumNArgs(1),
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return completeModules(nil, nil, "")
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				fmt.Fprint(cmd.OutOrStdout(), modules.Index())
				return nil
			}
			m, ok := modules.Lookup(args[0])
			if !ok {
				fmt.Fprintf(cmd.ErrOrStderr(), "ferry: no module %q; `ferry doc` lists them\n", args[0])
				return codeError(runner.ExitUsage)
			}
			fmt.Fprint(cmd.OutOrStdout(), modules.Doc(m.Spec()))
			return nil
		},
	}
}

func initCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "init DIR",
		Short: "create a site inventory in DIR from the example site",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("init needs the directory to create")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if err := runner.InitSite(dir); err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "ferry: %v\n", err)
				return codeError(runner.ExitError)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Created %s: edit its inventory.yml and group_vars, then run\n  ferry run --check -i %s\n", dir, dir)
			return nil
		},
	}
}
