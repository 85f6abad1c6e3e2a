package main

import (
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/ferry-sh/ferry/runner"
)

func init() { addCommand(schemaCommand) }

// schemaCommand prints the playbook JSON Schema for editors.
func schemaCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "print the JSON Schema of ferry playbooks, for editors",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(runner.Schema())
		},
	}
}
