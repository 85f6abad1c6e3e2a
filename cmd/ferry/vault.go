package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/ferry-sh/ferry/config"
	"github.com/ferry-sh/ferry/runner"
	"github.com/ferry-sh/ferry/vault"
)

func init() {
	addPlainCommand("vault", "encrypt|decrypt|view|edit|create|encrypt_string|rekey [flags] [FILE...]",
		"encrypt and decrypt Ansible Vault files and strings, as ansible-vault does", func(args []string, stdout, stderr io.Writer) int {
			return runVault(args, os.Stdin, stdout, stderr)
		})
}

const vaultUsage = `Usage: ferry vault ACTION [flags] [FILE...]   (as ansible-vault; FILE "-" or none is stdin)

  encrypt [FILE...]         encrypt files in place (--output FILE|- to write elsewhere)
  decrypt [FILE...]         decrypt files in place (--output FILE|- to write elsewhere)
  view FILE...              print the decrypted content
  edit FILE...              decrypt into $EDITOR, encrypt again when it changed
  create FILE               a new encrypted file, written in $EDITOR
  encrypt_string [STRING...] [-n NAME]...   print "NAME: !vault |" blocks for YAML (stdin without STRING)
  rekey FILE...             encrypt again with --new-vault-password-file or --new-vault-id

Passwords: --vault-password-file FILE, --vault-id [LABEL@]FILE|prompt (repeatable),
--ask-vault-pass, ANSIBLE_VAULT_PASSWORD_FILE, ANSIBLE_VAULT_IDENTITY_LIST; an executable
FILE is run and prints the password. --encrypt-vault-id LABEL picks the one to encrypt with.
`

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
	cfg, err := config.Load(os.Getenv, cwd, home)
	if err != nil {
		return os.Getenv
	}
	return cfg.Getenv(os.Getenv)
}

// vaultCmd is one `ferry vault` invocation.
type vaultCmd struct {
	action        string
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

// runVault runs `ferry vault ACTION ...` and returns the exit code: 0, 1 for
// a failure (wrong password, unreadable file), 5 for a bad command line.
func runVault(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c, err := parseVaultArgs(args)
	if err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, vaultUsage)
			return runner.ExitOK
		}
		fmt.Fprintf(stderr, "ferry vault: %v\n\n%s", err, vaultUsage)
		return runner.ExitUsage
	}
	c.stdin, c.stdout, c.stderr = stdin, stdout, stderr
	c.src.Stderr = stderr
	if err := c.run(); err != nil {
		fmt.Fprintf(stderr, "ERROR: %v\n", err)
		return runner.ExitError
	}
	return runner.ExitOK
}

func parseVaultArgs(args []string) (*vaultCmd, error) {
	if len(args) == 0 {
		return nil, errors.New("an action is needed")
	}
	if args[0] == "-h" || args[0] == "--help" {
		return nil, pflag.ErrHelp
	}
	c := &vaultCmd{action: args[0]}
	fs := pflag.NewFlagSet("ferry vault "+c.action, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addVaultFlags(fs, &c.src)
	c.src.Getenv = configGetenv()
	c.promptFunc = c.src.Prompt
	fs.CountVarP(&c.verbositySink, "verbose", "v", "ignored, as most of ansible-vault's verbosity")
	switch c.action {
	case "encrypt", "decrypt", "encrypt_string":
		fs.StringVar(&c.output, "output", "", "write to this file (- for stdout) instead of in place")
	case "view", "edit", "create", "rekey":
	default:
		return nil, fmt.Errorf("unknown action %q", c.action)
	}
	if c.action != "decrypt" && c.action != "view" {
		fs.StringVar(&c.encryptID, "encrypt-vault-id", "", "the vault id to encrypt with (needed when several are given)")
	}
	switch c.action {
	case "encrypt_string":
		fs.BoolVarP(&c.prompt, "prompt", "p", false, "ask for the string to encrypt")
		fs.BoolVar(&c.showInput, "show-input", false, "echo the string typed at --prompt")
		fs.StringArrayVarP(&c.names, "name", "n", nil, "the variable name of each STRING (repeatable)")
		fs.StringVar(&c.stdinName, "stdin-name", "", "the variable name of the string read from stdin")
	case "rekey":
		fs.StringVar(&c.newPassFile, "new-vault-password-file", "", "the new vault password file")
		fs.StringVar(&c.newID, "new-vault-id", "", "the new vault id: [LABEL@]FILE or [LABEL@]prompt")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return nil, err
	}
	c.files = fs.Args()
	return c, c.checkArgs()
}

func (c *vaultCmd) checkArgs() error {
	for _, id := range c.src.IDs {
		if strings.Contains(id, ";") {
			return fmt.Errorf("%q is not a valid vault id: ';' is not allowed in vault ids", id)
		}
	}
	switch {
	case c.output != "" && len(c.files) > 1:
		return errors.New("--output takes one input file at most")
	case c.action == "create" && len(c.files) != 1:
		return errors.New("create takes exactly one file name")
	case (c.action == "view" || c.action == "edit" || c.action == "rekey") && len(c.files) == 0:
		return fmt.Errorf("%s needs at least one file", c.action)
	case c.action == "rekey" && c.newPassFile != "" && c.newID != "":
		return errors.New("give --new-vault-password-file or --new-vault-id, not both")
	case c.action == "encrypt_string" && c.prompt && c.readsStdin():
		return errors.New("--prompt cannot be used while the string comes from stdin")
	}
	return nil
}

func (c *vaultCmd) run() error {
	load := vault.Load
	if c.action == "encrypt" || c.action == "encrypt_string" || c.action == "create" {
		load = vault.LoadForEncrypt
	}
	keys, err := load(c.sourcesOrPrompt())
	if err != nil {
		return err
	}
	c.vault = &vault.Files{Keys: keys, EncryptID: c.encryptID, Output: c.output, Stdin: c.stdin, Stdout: c.stdout,
		Edit: vault.Editor(os.Stdin, c.stdout, c.stderr)}
	switch c.action {
	case "encrypt":
		return c.eachInput(c.vault.Encrypt)
	case "decrypt":
		return c.eachInput(c.vault.Decrypt)
	case "view":
		return c.eachInput(c.vault.View)
	case "edit":
		return c.eachInput(c.vault.EditFile)
	case "create":
		return c.vault.Create(c.files[0])
	case "encrypt_string":
		return c.encryptString()
	case "rekey":
		return c.rekey()
	}
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
