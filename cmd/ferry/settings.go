package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/ferry-sh/ferry/config"
	"github.com/ferry-sh/ferry/runner"
)

// loadSettings reads the config file and ANSIBLE_* variables (package
// config); its warnings go to stderr.
func loadSettings(cmd *cobra.Command) (*config.Settings, error) {
	cwd, _ := os.Getwd()
	home, _ := os.UserHomeDir()
	cfg, err := config.Load(os.LookupEnv, cwd, home)
	if err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "ERROR: %v\n", err)
		return nil, codeError(runner.ExitInvalid)
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(cmd.ErrOrStderr(), "[WARNING]: %s\n", w)
	}
	return cfg, nil
}

// applySettings fills what the command line left unset from the config:
// a flag given always wins, as in Ansible.
func (f *playbookFlags) applySettings(cmd *cobra.Command, cfg *config.Settings) {
	s, c := &f.s, &f.conn
	unset := func(flag string) bool { fl := cmd.Flags().Lookup(flag); return fl != nil && !fl.Changed }
	if unset("inventory") && len(cfg.Inventory) > 0 {
		s.Inventories = cfg.Inventory
	}
	if unset("forks") && cfg.Forks > 0 {
		s.Forks = cfg.Forks
	}
	if unset("user") && cfg.RemoteUser != "" {
		c.user = cfg.RemoteUser
	}
	if unset("private-key") && cfg.PrivateKeyFile != "" {
		c.privateKey = cfg.PrivateKeyFile
	}
	if unset("timeout") && cfg.Timeout > 0 {
		c.timeout = cfg.Timeout
	}
	if unset("become") && cfg.Become != nil {
		c.become = *cfg.Become
	}
	if unset("become-user") && cfg.BecomeUser != "" {
		c.becomeUser = cfg.BecomeUser
	}
	if unset("output") && cfg.StdoutCallback == "json" {
		s.Output = "json"
	}
	c.hostKeyChecking = cfg.HostKeyChecking
	s.RolesPath = cfg.RolesPath
	s.CollectionsPath = cfg.CollectionsPath
	s.Config = cfg
	s.VaultSources.Getenv = cfg.Getenv(os.Getenv) // vault_password_file of the config file
}

// useColor decides colour: never off a terminal or for JSON, unless
// ANSIBLE_FORCE_COLOR (or force_color) asks; ANSIBLE_NOCOLOR and NO_COLOR
// turn it off.
func useColor(cfg *config.Settings, output string, terminal bool) bool {
	switch {
	case output != "text" && output != "adhoc", cfg.NoColor:
		return false
	case cfg.ForceColor:
		return true
	}
	return terminal
}
