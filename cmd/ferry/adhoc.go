package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/runner"
)

func adhocCommand() *cobra.Command {
	f := &playbookFlags{}
	var module, moduleArgs string
	cmd := &cobra.Command{
		Use:   "adhoc PATTERN [-m MODULE] [-a ARGS] -i INVENTORY [flags]",
		Short: "run one module on the hosts matching PATTERN, as ansible does",
		Example: `  ferry adhoc all -i mysite -m ping
  ferry adhoc web -i hosts.ini -m shell -a 'df -h /'
  ferry adhoc web -i hosts.ini -b -m file -a 'path=/etc/app state=directory'`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("adhoc needs one host pattern (all, a group, a host)")
			}
			return nil
		},
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return inventoryNames(cmd, false)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := f.session(cmd, nil)
			if err != nil {
				return err
			}
			if _, ok := modules.Lookup(module); !ok {
				return usagef("-m %s: no such module; `ferry doc` lists them", module)
			}
			src, err := runner.AdHocPlaybook(args[0], module, moduleArgs)
			if err != nil {
				return usagef("-a %q: %v", moduleArgs, err)
			}
			s.Playbook, s.PlaybookSource = fmt.Sprintf("ad-hoc command (-m %s)", module), src
			if s.Output == "text" {
				s.Output = "adhoc"
			}
			return runSession(cmd, s)
		},
	}
	f.registerCommon(cmd)
	cmd.Flags().StringVarP(&module, "module-name", "m", "command", "the module to run")
	cmd.Flags().StringVarP(&moduleArgs, "args", "a", "", "the module's arguments: k=v pairs, or a command line")
	_ = cmd.RegisterFlagCompletionFunc("module-name", completeModules)
	return cmd
}
