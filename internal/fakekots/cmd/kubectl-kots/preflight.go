package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// preflightError is install.go's preflightError: the CLI prints the message
// and the results table itself and keeps cobra quiet, exit status 1.
type preflightError struct {
	msg    string
	checks []preflightCheck
}

func (e *preflightError) Error() string { return e.msg }

// preflightBlock is checkPreflightResults: warnings and failures block a
// headless deploy; with --skip-preflights only strict checks count.
func preflightBlock(checks []preflightCheck, skip bool) *preflightError {
	var warn, fail bool
	for _, ch := range checks {
		if skip && !ch.Strict {
			continue
		}
		warn = warn || ch.Outcome == "warn"
		fail = fail || ch.Outcome == "fail"
	}
	var msg string
	switch {
	case warn && fail:
		msg = "There are preflight check failures and warnings for the application. The app was not deployed."
	case warn:
		msg = "There are preflight check warnings for the application. The app was not deployed."
	case fail:
		msg = "There are preflight check failures for the application. The app was not deployed."
	default:
		return nil
	}
	return &preflightError{msg: msg, checks: checks}
}

// printPreflight is log.Errorf(perr.Msg) plus print.PreflightResults.
func printPreflight(w io.Writer, perr *preflightError) {
	fmt.Fprintf(w, "  • %s\n", perr.msg)
	tw := tabwriter.NewWriter(w, 0, 8, 1, '\t', 0)
	fmt.Fprintf(tw, "\n%s\t%s\t%s\n", "STATE", "TITLE", "MESSAGE")
	for _, ch := range perr.checks {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", strings.ToUpper(ch.Outcome), ch.Title, ch.Message)
	}
	fmt.Fprintln(tw)
	tw.Flush()
}
