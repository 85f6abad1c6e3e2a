package vault

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Sources says where a run's vault passwords come from: the command line
// flags, named as ansible-playbook's, and the environment.
type Sources struct {
	IDs           []string // --vault-id: [LABEL@]FILE, [LABEL@]prompt; repeatable
	PasswordFiles []string // --vault-password-file: FILE (label "default"); repeatable
	Ask           bool     // --ask-vault-pass: prompt once for the default id
	// Prompt reads a password from the terminal without echo; nil makes any
	// prompt an error (no terminal).
	Prompt func(prompt string) ([]byte, error)
	// Getenv reads ANSIBLE_VAULT_IDENTITY_LIST and ANSIBLE_VAULT_PASSWORD_FILE;
	// nil uses os.Getenv.
	Getenv func(string) string
	// Stderr receives what a password script writes to its stderr (it may
	// prompt there); nil uses os.Stderr.
	Stderr io.Writer
}

// Given reports whether any password source is set, flags or environment.
func (src Sources) Given() bool {
	slugs, _ := src.slugs()
	return len(slugs) > 0
}

// slugs lists the [LABEL@]SOURCE entries in Ansible's order (cli
// setup_vault_secrets): ANSIBLE_VAULT_IDENTITY_LIST, --vault-id, then the
// password files (--vault-password-file, ANSIBLE_VAULT_PASSWORD_FILE) as
// default@FILE, then --ask-vault-pass as a prompt for the default id.
func (src Sources) slugs() (slugs []string, askSlug string) {
	getenv := src.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	for _, id := range strings.Split(getenv("ANSIBLE_VAULT_IDENTITY_LIST"), ",") {
		if id = strings.TrimSpace(id); id != "" {
			slugs = append(slugs, id)
		}
	}
	slugs = append(slugs, src.IDs...)
	files := append([]string(nil), src.PasswordFiles...)
	if f := getenv("ANSIBLE_VAULT_PASSWORD_FILE"); f != "" {
		files = append(files, f)
	}
	for _, f := range files {
		slugs = append(slugs, DefaultID+"@"+f)
	}
	if src.Ask {
		askSlug = DefaultID + "@prompt_ask_vault_pass"
		slugs = append(slugs, askSlug)
	}
	return slugs, askSlug
}

// Load reads every password the sources name into a keyring. Unlike Ansible,
// which warns about a missing or failing password file and carries on when
// another source gave a password, any failing source is an error: a typo in
// a path should not surface later as "wrong password".
func Load(src Sources) (*Keyring, error) {
	return src.load(false)
}

// LoadForEncrypt is Load for commands that encrypt: a prompt asks for the new
// password twice and the answers must match.
func LoadForEncrypt(src Sources) (*Keyring, error) {
	return src.load(true)
}

func (src Sources) load(confirm bool) (*Keyring, error) {
	slugs, _ := src.slugs()
	k := &Keyring{}
	for _, slug := range slugs {
		label, source := splitSlug(slug)
		if strings.Contains(label, ";") {
			return nil, fmt.Errorf("--vault-id %s: the character ';' is not allowed in a vault id", slug)
		}
		var pw []byte
		var err error
		switch source {
		case "prompt", "prompt_ask_vault_pass":
			pw, err = src.prompt(label, source == "prompt_ask_vault_pass", confirm)
		default:
			pw, err = src.readPasswordFile(k, label, source)
		}
		if err != nil {
			return nil, err
		}
		k.Add(Secret{ID: label, Password: pw, Source: source})
	}
	return k, nil
}

// splitSlug splits LABEL@SOURCE at the first @; without one the label is
// the default id.
func splitSlug(slug string) (label, source string) {
	if i := strings.IndexByte(slug, '@'); i >= 0 {
		label, source = slug[:i], slug[i+1:]
	} else {
		source = slug
	}
	if label == "" {
		label = DefaultID
	}
	return label, source
}

// prompt asks for the password of label: "Vault password: " for
// --ask-vault-pass, "Vault password (LABEL): " for --vault-id LABEL@prompt,
// as Ansible asks.
func (src Sources) prompt(label string, ask, confirm bool) ([]byte, error) {
	if src.Prompt == nil {
		return nil, fmt.Errorf("a vault password prompt (vault id %s) needs a terminal: use --vault-password-file FILE or --vault-id %s@FILE instead", label, label)
	}
	questions := []string{fmt.Sprintf("Vault password (%s): ", label)}
	switch {
	case ask && confirm:
		questions = []string{"New Vault password: ", "Confirm New Vault password: "}
	case ask:
		questions = []string{"Vault password: "}
	case confirm:
		questions = []string{fmt.Sprintf("New vault password (%s): ", label), fmt.Sprintf("Confirm new vault password (%s): ", label)}
	}
	var first []byte
	for i, q := range questions {
		pw, err := src.Prompt(q)
		if err != nil {
			return nil, fmt.Errorf("vault password prompt (vault id %s): %w", label, err)
		}
		pw = bytes.TrimSpace(pw)
		if len(pw) == 0 {
			return nil, fmt.Errorf("vault password prompt (vault id %s): the password is empty", label)
		}
		if i == 0 {
			first = pw
		} else if !bytes.Equal(first, pw) {
			return nil, errors.New("the vault passwords do not match")
		}
	}
	return first, nil
}

// readPasswordFile reads a password file, or runs it when it is executable
// (its stdout is the password), as Ansible's get_file_vault_secret. A file
// whose content is itself vaulted is opened with the passwords read so far.
func (src Sources) readPasswordFile(k *Keyring, label, path string) ([]byte, error) {
	path = expandHome(path)
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("vault password file %s (vault id %s): %w", path, label, unwrapPathError(err))
	}
	if fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
		return src.runPasswordScript(label, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("vault password file %s: %w", path, unwrapPathError(err))
	}
	data = bytes.TrimSpace(data)
	if IsEncrypted(data) {
		if data, err = k.Decrypt(data, "vault password file "+path); err != nil {
			return nil, err
		}
	}
	pw := bytes.Trim(data, "\r\n")
	if len(pw) == 0 {
		return nil, fmt.Errorf("vault password file %s is empty: put the password in it", path)
	}
	return pw, nil
}

// runPasswordScript runs an executable password file. A script whose name
// (without extension) ends in -client is asked for the label's password with
// --vault-id LABEL and exits 2 when it has none, as Ansible's client scripts.
func (src Sources) runPasswordScript(label, path string) ([]byte, error) {
	var args []string
	client := strings.HasSuffix(strings.TrimSuffix(path, filepath.Ext(path)), "-client")
	if client {
		args = []string{"--vault-id", label}
	}
	cmd := exec.Command(path, args...)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stdin = os.Stdin
	cmd.Stderr = src.Stderr
	if cmd.Stderr == nil {
		cmd.Stderr = os.Stderr
	}
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case client && errors.As(err, &exit) && exit.ExitCode() == 2:
		return nil, fmt.Errorf("vault password client script %s has no password for vault id %s (exit 2)", path, label)
	case errors.As(err, &exit):
		return nil, fmt.Errorf("vault password script %s exited with %d (vault id %s); run it by hand to see why", path, exit.ExitCode(), label)
	case err != nil:
		return nil, fmt.Errorf("running vault password script %s: %v; if it is not a script, remove its executable bit (chmod -x)", path, err)
	}
	pw := bytes.Trim(stdout.Bytes(), "\r\n")
	if len(pw) == 0 {
		return nil, fmt.Errorf("vault password script %s printed no password", path)
	}
	return pw, nil
}

func expandHome(path string) string {
	if path == "~" || strings.HasPrefix(path, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, path[1:])
		}
	}
	return path
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
