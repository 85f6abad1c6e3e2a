package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ferry-sh/ferry/journal"
	"github.com/ferry-sh/ferry/runner"
)

func logCommand() *cobra.Command {
	var sources []string
	var raw bool
	var verbosity int
	cmd := &cobra.Command{
		Use:   "log [RUN] -i INVENTORY",
		Short: "list the runs recorded for a site, or show one (RUN: an ID or last)",
		Long: `Every ferry run records its events, secrets masked as on screen, in the site's
journal (SITE/.ferry/journal/). Without RUN, ferry log lists the runs; with
one, it shows it as it was printed (--json: the recorded lines).`,
		Args: cobra.MaximumNArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			runs, _ := journal.List(journal.Dir(runner.SiteDir(inventorySources(cmd))))
			var ids []string
			for _, r := range runs {
				ids = append(ids, r.ID)
			}
			return append(ids, "last"), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := journal.Dir(runner.SiteDir(inventorySources(cmd)))
			if len(args) == 0 {
				return listRuns(cmd.OutOrStdout(), cmd.ErrOrStderr(), dir)
			}
			run, err := journal.Find(dir, args[0])
			if err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "ferry: %v\n", err)
				return codeError(runner.ExitError)
			}
			return showRun(cmd.OutOrStdout(), run, raw, verbosity)
		},
	}
	fs := cmd.Flags()
	fs.StringArrayVarP(&sources, "inventory", "i", nil, "the site's inventory (where its journal is)")
	fs.BoolVar(&raw, "json", false, "print the recorded JSON lines")
	fs.CountVarP(&verbosity, "verbose", "v", "show results as -v would have")
	return cmd
}

func listRuns(stdout, stderr io.Writer, dir string) error {
	runs, err := journal.List(dir)
	if err != nil {
		fmt.Fprintf(stderr, "ferry: %v\n", err)
		return codeError(runner.ExitError)
	}
	if len(runs) == 0 {
		fmt.Fprintf(stdout, "no runs recorded in %s\n", dir)
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTARTED\tPLAYBOOK\tRESULT\tMODE")
	for _, r := range runs {
		mode := "run"
		if r.Check {
			mode = "check"
		}
		if r.Resumes != "" {
			mode += ", resumes " + r.Resumes
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Time.Local().Format("2006-01-02 15:04:05"), r.Playbook, r.Status(), mode)
	}
	return tw.Flush()
}

// showRun prints a recorded run through the text output it was printed
// with (without colour), then how it ended.
func showRun(stdout io.Writer, run journal.Run, raw bool, verbosity int) error {
	if raw {
		return journal.Lines(run.Path, func(line []byte) error { _, err := stdout.Write(line); return err })
	}
	fmt.Fprintf(stdout, "run %s: %s, started %s\n", run.ID, run.Playbook, run.Time.Local().Format("2006-01-02 15:04:05"))
	sink := runner.NewTextSink(stdout, verbosity, false, false)
	err := journal.Lines(run.Path, func(line []byte) error {
		var e runner.Event
		if json.Unmarshal(line, &e) == nil && e.Type != "" && e.Type != runner.EventFacts && e.Type != runner.EventReplayed {
			sink.Event(e)
		}
		return nil
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "ferry: %v\n", err)
		return codeError(runner.ExitError)
	}
	fmt.Fprintf(stdout, "result: %s\n", run.Status())
	return nil
}
