package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"
	"golang.org/x/term"

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
	src.Prompt = terminalPrompt()
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

// terminalPrompt reads a password on the controlling terminal without echo;
// nil when there is no terminal (then a prompt is a clear error).
func terminalPrompt() func(string) ([]byte, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil
	}
	tty.Close()
	return func(question string) ([]byte, error) {
		tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
		if err != nil {
			return nil, err
		}
		defer tty.Close()
		fmt.Fprint(tty, question)
		defer fmt.Fprintln(tty)
		return term.ReadPassword(int(tty.Fd()))
	}
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
	keys          *vault.Keyring
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
	var err error
	if c.action == "encrypt" || c.action == "encrypt_string" || c.action == "create" {
		c.keys, err = vault.LoadForEncrypt(c.sourcesOrPrompt())
	} else {
		c.keys, err = vault.Load(c.sourcesOrPrompt())
	}
	if err != nil {
		return err
	}
	switch c.action {
	case "encrypt":
		return c.eachInput(c.encryptFile)
	case "decrypt":
		return c.eachInput(c.decryptFile)
	case "view":
		return c.eachInput(c.viewFile)
	case "edit":
		return c.eachInput(c.editFile)
	case "create":
		return c.createFile(c.files[0])
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

func (c *vaultCmd) read(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(c.stdin)
	}
	return os.ReadFile(name) // its error names the file
}

// write puts data where --output says, or back in place of name; "-" is
// stdout. Files are replaced atomically, readable by their owner only, as
// ansible-vault writes them.
func (c *vaultCmd) write(name string, data []byte) error {
	if c.output != "" {
		name = c.output
	}
	if name == "-" {
		_, err := c.stdout.Write(data)
		return err
	}
	return replaceFile(name, data, 0o600)
}

func (c *vaultCmd) encryptFile(name string) error {
	data, err := c.read(name)
	if err != nil {
		return err
	}
	if vault.IsEncrypted(data) {
		return fmt.Errorf("%s is already encrypted", name)
	}
	enc, err := c.keys.Encrypt(data, c.encryptID)
	if err != nil {
		return err
	}
	return c.write(name, enc)
}

func (c *vaultCmd) decrypt(name string) ([]byte, vault.Secret, error) {
	data, err := c.read(name)
	if err != nil {
		return nil, vault.Secret{}, err
	}
	if !vault.IsEncrypted(data) {
		return nil, vault.Secret{}, fmt.Errorf("%s is not a vault-encrypted file", name)
	}
	return c.keys.DecryptWithSecret(data, name)
}

func (c *vaultCmd) decryptFile(name string) error {
	plain, _, err := c.decrypt(name)
	if err != nil {
		return err
	}
	return c.write(name, plain)
}

func (c *vaultCmd) viewFile(name string) error {
	plain, _, err := c.decrypt(name)
	if err != nil {
		return err
	}
	_, err = c.stdout.Write(plain)
	return err
}

// editFile decrypts into a private temporary file, runs $EDITOR on it, and
// encrypts the result again with the same password and vault id when it
// changed.
func (c *vaultCmd) editFile(name string) error {
	data, err := c.read(name)
	if err != nil {
		return err
	}
	plain, secret, err := c.keys.DecryptWithSecret(data, name)
	if err != nil {
		return err
	}
	env, _ := vault.Parse(data)
	edited, err := c.inEditor(name, plain)
	if err != nil || bytes.Equal(edited, plain) {
		return err
	}
	enc, err := vault.Encrypt(edited, secret.Password, env.ID)
	if err != nil {
		return err
	}
	return replaceFile(name, enc, keptMode(name))
}

func (c *vaultCmd) createFile(name string) error {
	if _, err := os.Stat(name); err == nil {
		return fmt.Errorf("%s exists: use ferry vault edit", name)
	}
	secret, err := c.keys.EncryptSecret(c.encryptID)
	if err != nil {
		return err
	}
	if dir := filepath.Dir(name); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	plain, err := c.inEditor(name, nil)
	if err != nil {
		return err
	}
	enc, err := vault.Encrypt(plain, secret.Password, secret.ID)
	if err != nil {
		return err
	}
	return replaceFile(name, enc, 0o600)
}

// inEditor writes content to a temporary file only the user can read, runs
// $EDITOR (default vi) on it and returns what was saved. The plaintext is
// overwritten before the file is removed.
func (c *vaultCmd) inEditor(name string, content []byte) ([]byte, error) {
	dir, err := os.MkdirTemp("", "ferry-vault-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, "edit"+filepath.Ext(name))
	if err := os.WriteFile(tmp, content, 0o600); err != nil {
		return nil, err
	}
	defer shred(tmp)
	editor := strings.Fields(os.Getenv("EDITOR"))
	if len(editor) == 0 {
		editor = []string{"vi"}
	}
	cmd := exec.Command(editor[0], append(editor[1:], tmp)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, c.stdout, c.stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("editor %s: %v (nothing was saved)", strings.Join(editor, " "), err)
	}
	return os.ReadFile(tmp)
}

func (c *vaultCmd) readsStdin() bool {
	for _, f := range c.files {
		if f == "-" {
			return true
		}
	}
	return len(c.files) == 0 || c.stdinName != ""
}

// encryptString prints each string as a YAML `NAME: !vault |` block, in
// ansible-vault's format: from --prompt, stdin, then the arguments, the
// arguments named by the --name options in order.
func (c *vaultCmd) encryptString() error {
	type item struct {
		name  string
		plain []byte
	}
	var items []item
	if c.prompt {
		it, err := c.promptString()
		if err != nil {
			return err
		}
		items = append(items, item{it[0], []byte(it[1])})
	}
	if c.readsStdin() {
		data, err := io.ReadAll(c.stdin)
		if err != nil {
			return err
		}
		if len(data) == 0 {
			return errors.New("stdin was empty, not encrypting")
		}
		items = append(items, item{c.stdinName, data})
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
		items = append(items, item{name, []byte(s)})
	}
	var blocks []string
	for _, it := range items {
		enc, err := c.keys.Encrypt(it.plain, c.encryptID)
		if err != nil {
			return err
		}
		blocks = append(blocks, vaultYAMLBlock(it.name, enc))
	}
	return c.write("-", []byte(strings.Join(blocks, "\n")+"\n"))
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

// vaultYAMLBlock is ansible-vault's format_ciphertext_yaml: the header line
// `NAME: !vault |`, then the vaulted text indented by 10 spaces.
func vaultYAMLBlock(name string, enc []byte) string {
	var b strings.Builder
	if name != "" {
		b.WriteString(name + ": ")
	}
	b.WriteString("!vault |")
	for _, line := range strings.Split(strings.TrimRight(string(enc), "\n"), "\n") {
		b.WriteString("\n          " + line)
	}
	return b.String()
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
	for _, name := range c.files {
		plain, _, err := c.decrypt(name)
		if err != nil {
			return err
		}
		enc, err := newKeys.Encrypt(plain, c.encryptID)
		if err != nil {
			return err
		}
		if err := replaceFile(name, enc, keptMode(name)); err != nil {
			return err
		}
	}
	fmt.Fprintln(c.stderr, "Rekey successful")
	return nil
}

// replaceFile writes data to a new file beside name and renames it into
// place, so that a crash leaves the old file or the new one, never half.
func replaceFile(name string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".ferry-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}

func keptMode(name string) os.FileMode {
	if fi, err := os.Stat(name); err == nil {
		return fi.Mode().Perm()
	}
	return 0o600
}

// shred overwrites a plaintext file with zeros before it is removed (best
// effort, as Ansible's _shred_file_custom).
func shred(path string) {
	if fi, err := os.Stat(path); err == nil {
		_ = os.WriteFile(path, make([]byte, fi.Size()), 0o600)
	}
	os.Remove(path)
}
