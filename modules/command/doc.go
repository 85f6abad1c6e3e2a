// Package command holds the modules that run a command on the host:
// command, shell, raw and script. A command runs through the gate's Writer
// (or, with creates/removes deciding, not at all), so check mode never runs
// one; the runner decides when these modules run in check mode (Spec.Check).
package command
