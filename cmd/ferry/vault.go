package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ferry-sh/ferry/config"
	"github.com/ferry-sh/ferry/runner"
	"github.com/ferry-sh/ferry/vault"
)

func init() { addCommand(vaultCommand) }

// vaultCommand is `ferry vault ACTION`, ansible-vault's actions and flags as
// cobra subcommands. Exit codes are ansible-vault's: 2 for a command line
// that does not parse (argparse), 5 for one that parses but cannot be
// carried out (AnsibleOptionsError), 1 for a failure.
func vaultCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vault ACTION [flags] [FILE...]",
		Short: "encrypt and decrypt Ansible Vault files and strings, as ansible-vault does",
		Long: strings.TrimSpace(`
encrypt and decrypt Ansible Vault files and strings, as ansible-vault does.
FILE "-" or none is standard input.

Passwords: --vault-password-file FILE, --vault-id [LABEL@]FILE|prompt (repeatable),
--ask-vault-pass, ANSIBLE_VAULT_PASSWORD_FILE, ANSIBLE_VAULT_IDENTITY_LIST; an executable
FILE is run and prints the password. --encrypt-vault-id LABEL picks the one to encrypt with.`),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprint(cmd.ErrOrStderr(), cmd.UsageString())
			return codeError(runner.ExitBadFlags)
		},
	}
	for _, a := range vaultActions {
		cmd.AddCommand(a.command())
	}
	return cmd
}

// vaultAction is one action of `ferry vault` and the flags it takes beyond
// the password sources.
type vaultAction struct {
	name, args, short string
	output            bool // --output
	encrypts          bool // --encrypt-vault-id
	onlyEncrypts      bool // decrypts nothing: passwords loaded for encryption
	flags             func(fs *pflag.FlagSet, c *vaultCmd)
	run               func(c *vaultCmd) error
}

var vaultActions = []vaultAction{
	{name: "encrypt", args: "[FILE...]", short: "encrypt files in place (--output FILE|- to write elsewhere)",
		output: true, encrypts: true, onlyEncrypts: true, run: func(c *vaultCmd) error { return c.eachInput(c.vault.Encrypt) }},
	{name: "decrypt", args: "[FILE...]", short: "decrypt files in place (--output FILE|- to write elsewhere)",
		output: true, run: func(c *vaultCmd) error { return c.eachInput(c.vault.Decrypt) }},
	{name: "view", args: "FILE...", short: "print the decrypted content",
		run: func(c *vaultCmd) error { return c.eachInput(c.vault.View) }},
	{name: "edit", args: "FILE...", short: "decrypt into $EDITOR, encrypt again when it changed", encrypts: true,
		run: func(c *vaultCmd) error { return c.eachInput(c.vault.EditFile) }},
	{name: "create", args: "FILE", short: "a new encrypted file, written in $EDITOR", encrypts: true, onlyEncrypts: true,
		run: func(c *vaultCmd) error { return c.vault.Create(c.files[0]) }},
	{name: "encrypt_string", args: "[STRING...]", short: `print "NAME: !vault |" blocks for YAML (stdin without STRING)`,
		output: true, encrypts: true, onlyEncrypts: true, run: (*vaultCmd).encryptString, flags: func(fs *pflag.FlagSet, c *vaultCmd) {
			fs.BoolVarP(&c.prompt, "prompt", "p", false, "ask for the string to encrypt")
			fs.BoolVar(&c.showInput, "show-input", false, "echo the string typed at --prompt")
			fs.StringArrayVarP(&c.names, "name", "n", nil, "the variable name of each STRING (repeatable)")
			fs.StringVar(&c.stdinName, "stdin-name", "", "the variable name of the string read from stdin")
		}},
	{name: "rekey", args: "FILE...", short: "encrypt again with --new-vault-password-file or --new-vault-id",
		encrypts: true, run: (*vaultCmd).rekey, flags: func(fs *pflag.FlagSet, c *vaultCmd) {
			fs.StringVar(&c.newPassFile, "new-vault-password-file", "", "the new vault password file")
			fs.StringVar(&c.newID, "new-vault-id", "", "the new vault id: [LABEL@]FILE or [LABEL@]prompt")
		}},
}

func (a vaultAction) command() *cobra.Command {
	c := &vaultCmd{}
	cmd := &cobra.Command{
		Use:   a.name + " " + a.args,
		Short: a.short,
		RunE: func(cmd *cobra.Command, args []string) error {
			c.files = args
			c.stdin, c.stdout, c.stderr = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			c.src.Stderr, c.src.Getenv, c.promptFunc = c.stderr, configGetenv(), c.src.Prompt
			if err := c.checkArgs(a.name); err != nil {
				return usagef("%v", err)
			}
			err := c.open(a.onlyEncrypts)
			if err == nil {
				err = a.run(c)
			}
			if err != nil {
				fmt.Fprintf(c.stderr, "ERROR: %v\n", err)
				return codeError(runner.ExitError)
			}
			return nil
		},
	}
	fs := cmd.Flags()
	addVaultFlags(fs, &c.src)
	fs.CountVarP(&c.verbositySink, "verbose", "v", "ignored, as most of ansible-vault's verbosity")
	if a.output {
		fs.StringVar(&c.output, "output", "", "write to this file (- for stdout) instead of in place")
	}
	if a.encrypts {
		fs.StringVar(&c.encryptID, "encrypt-vault-id", "", "the vault id to encrypt with (needed when several are given)")
	}
	if a.flags != nil {
		a.flags(fs, c)
	}
	return cmd
}

// addVaultFlags registers ansible-playbook's vault password flags on fs.
func addVaultFlags(fs *pflag.FlagSet, src *vault.Sources) {
	fs.StringArrayVar(&src.IDs, "vault-id", nil, "vault password of a vault id: [LABEL@]FILE or [LABEL@]prompt (repeatable)")
	fs.StringArrayVar(&src.PasswordFiles, "vault-password-file", nil, "file holding the vault password, or a script printing it (repeatable)")
	fs.BoolVarP(&src.Ask, "ask-vault-pass", "J", false, "ask for the vault password")
	fs.BoolVar(&src.Ask, "ask-vault-password", false, "same as --ask-vault-pass")
	src.Prompt = vault.TerminalPrompt()
}

// configGetenv is os.Getenv with the config file's vault_password_file
// behind ANSIBLE_VAULT_PASSWORD_FILE, as ansible-vault and ansible-inventory
// read ansible.cfg. A config file that cannot be read leaves os.Getenv:
// ferry run reports it.
func configGetenv() func(string) string {
	cwd, _ := os.Getwd()
	home, _ := os.UserHomeDir()
	cfg, err := config.Load(os.LookupEnv, cwd, home)
	if err != nil {
		return os.Getenv
	}
	return cfg.Getenv(os.Getenv)
}

// vaultCmd is one `ferry vault` invocation.
type vaultCmd struct {
	src           vault.Sources
	output        string
	encryptID     string
	names         []string
	stdinName     string
	prompt        bool
	newPassFile   string
	newID         string
	files         []string
	stdin         io.Reader
	stdout        io.Writer
	stderr        io.Writer
	vault         *vault.Files
	promptFunc    func(string) ([]byte, error)
	showInput     bool
	verbositySink int
}

// checkArgs refuses what ansible-vault refuses after parsing its flags.
func (c *vaultCmd) checkArgs(action string) error {
	for _, id := range c.src.IDs {
		if strings.Contains(id, ";") {
			return fmt.Errorf("%q is not a valid vault id: ';' is not allowed in vault ids", id)
		}
	}
	switch {
	case c.output != "" && len(c.files) > 1:
		return errors.New("--output takes one input file at most")
	case action == "create" && len(c.files) != 1:
		return errors.New("create takes exactly one file name")
	case (action == "view" || action == "edit" || action == "rekey") && len(c.files) == 0:
		return fmt.Errorf("%s needs at least one file", action)
	case action == "rekey" && c.newPassFile != "" && c.newID != "":
		return errors.New("give --new-vault-password-file or --new-vault-id, not both")
	case action == "encrypt_string" && c.prompt && c.readsStdin():
		return errors.New("--prompt cannot be used while the string comes from stdin")
	}
	return nil
}

// open loads the vault passwords (for encryption when the action decrypts nothing)
// and the file operations that use them.
func (c *vaultCmd) open(onlyEncrypts bool) error {
	load := vault.Load
	if onlyEncrypts {
		load = vault.LoadForEncrypt
	}
	keys, err := load(c.sourcesOrPrompt())
	if err != nil {
		return err
	}
	c.vault = &vault.Files{Keys: keys, EncryptID: c.encryptID, Output: c.output, Stdin: c.stdin, Stdout: c.stdout,
		Edit: vault.Editor(os.Stdin, c.stdout, c.stderr)}
	return nil
}

// sourcesOrPrompt asks for a password when none is given anywhere, as
// ansible-vault does (auto_prompt).
func (c *vaultCmd) sourcesOrPrompt() vault.Sources {
	src := c.src
	if !src.Given() {
		src.Ask = true
	}
	return src
}

func (c *vaultCmd) eachInput(fn func(string) error) error {
	files := c.files
	if len(files) == 0 {
		files = []string{"-"}
	}
	for _, f := range files {
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

func (c *vaultCmd) readsStdin() bool {
	for _, f := range c.files {
		if f == "-" {
			return true
		}
	}
	return len(c.files) == 0 || c.stdinName != ""
}

// encryptString encrypts the strings from --prompt, stdin, then the
// arguments (named by the --name options in order), as ansible-vault.
func (c *vaultCmd) encryptString() error {
	var items []vault.Named
	if c.prompt {
		it, err := c.promptString()
		if err != nil {
			return err
		}
		items = append(items, vault.Named{Name: it[0], Plain: []byte(it[1])})
	}
	if c.readsStdin() {
		data, err := io.ReadAll(c.stdin)
		if err != nil {
			return err
		}
		if len(data) == 0 {
			return errors.New("stdin was empty, not encrypting")
		}
		items = append(items, vault.Named{Name: c.stdinName, Plain: data})
	}
	i := 0
	for _, s := range c.files {
		if s == "-" {
			continue
		}
		if s == "" {
			return errors.New("the string to encrypt is empty, not encrypting")
		}
		name := ""
		if i < len(c.names) {
			name = c.names[i]
		}
		i++
		items = append(items, vault.Named{Name: name, Plain: []byte(s)})
	}
	return c.vault.EncryptStrings(items)
}

func (c *vaultCmd) promptString() ([2]string, error) {
	if c.promptFunc == nil {
		return [2]string{}, errors.New("--prompt needs a terminal")
	}
	name, err := c.promptFunc("Variable name (enter for no name): ")
	if err != nil {
		return [2]string{}, err
	}
	s, err := c.promptFunc("String to encrypt (hidden): ")
	if err != nil {
		return [2]string{}, err
	}
	if len(s) == 0 {
		return [2]string{}, errors.New("the string typed was empty, not encrypting")
	}
	return [2]string{strings.TrimSpace(string(name)), string(s)}, nil
}

// rekey encrypts each file again with the new password, keeping its mode.
func (c *vaultCmd) rekey() error {
	newSrc := vault.Sources{Getenv: func(string) string { return "" }, Prompt: c.promptFunc, Stderr: c.stderr}
	switch {
	case c.newPassFile != "":
		newSrc.PasswordFiles = []string{c.newPassFile}
	case c.newID != "":
		newSrc.IDs = []string{c.newID}
	default:
		newSrc.Ask = true
	}
	newKeys, err := vault.LoadForEncrypt(newSrc)
	if err != nil {
		return err
	}
	if err := c.vault.Rekey(c.files, newKeys); err != nil {
		return err
	}
	fmt.Fprintln(c.stderr, "Rekey successful")
	return nil
}
