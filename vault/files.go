package vault

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/term"
)

// Files does ansible-vault's actions on files with the passwords of Keys:
// encrypt, decrypt, view, edit, create, rekey and encrypt_string. A name
// "-" is stdin (and stdout for what is written).
type Files struct {
	Keys      *Keyring
	EncryptID string // --encrypt-vault-id: the vault id to encrypt with
	Output    string // --output: write here ("-" is stdout) instead of in place
	Stdin     io.Reader
	Stdout    io.Writer
	// Edit runs the user's editor on a file (see Editor).
	Edit func(path string) error
}

// Named is a string to encrypt and its variable name (empty: none).
type Named struct {
	Name  string
	Plain []byte
}

func (f *Files) read(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(f.Stdin)
	}
	return os.ReadFile(name) // its error names the file
}

// write puts data where Output says, or back in place of name; "-" is
// stdout. Files are replaced atomically, readable by their owner only, as
// ansible-vault writes them.
func (f *Files) write(name string, data []byte) error {
	if f.Output != "" {
		name = f.Output
	}
	if name == "-" {
		_, err := f.Stdout.Write(data)
		return err
	}
	return ReplaceFile(name, data, 0o600)
}

// Encrypt encrypts the file name.
func (f *Files) Encrypt(name string) error {
	data, err := f.read(name)
	if err != nil {
		return err
	}
	if IsEncrypted(data) {
		return fmt.Errorf("%s is already encrypted", name)
	}
	enc, err := f.Keys.Encrypt(data, f.EncryptID)
	if err != nil {
		return err
	}
	return f.write(name, enc)
}

func (f *Files) decrypt(name string) ([]byte, Secret, error) {
	data, err := f.read(name)
	if err != nil {
		return nil, Secret{}, err
	}
	if !IsEncrypted(data) {
		return nil, Secret{}, fmt.Errorf("%s is not a vault-encrypted file", name)
	}
	return f.Keys.DecryptWithSecret(data, name)
}

// Decrypt decrypts the file name.
func (f *Files) Decrypt(name string) error {
	plain, _, err := f.decrypt(name)
	if err != nil {
		return err
	}
	return f.write(name, plain)
}

// View prints the decrypted file.
func (f *Files) View(name string) error {
	plain, _, err := f.decrypt(name)
	if err != nil {
		return err
	}
	_, err = f.Stdout.Write(plain)
	return err
}

// EditFile decrypts into a private temporary file, runs the editor on it,
// and encrypts the result again with the same password and vault id when
// it changed.
func (f *Files) EditFile(name string) error {
	data, err := f.read(name)
	if err != nil {
		return err
	}
	plain, secret, err := f.Keys.DecryptWithSecret(data, name)
	if err != nil {
		return err
	}
	env, _ := Parse(data)
	edited, err := f.inEditor(name, plain)
	if err != nil || bytes.Equal(edited, plain) {
		return err
	}
	enc, err := Encrypt(edited, secret.Password, env.ID)
	if err != nil {
		return err
	}
	return ReplaceFile(name, enc, keptMode(name))
}

// Create writes a new encrypted file from what is saved in the editor.
func (f *Files) Create(name string) error {
	if _, err := os.Stat(name); err == nil {
		return fmt.Errorf("%s exists: use ferry vault edit", name)
	}
	secret, err := f.Keys.EncryptSecret(f.EncryptID)
	if err != nil {
		return err
	}
	if dir := filepath.Dir(name); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	plain, err := f.inEditor(name, nil)
	if err != nil {
		return err
	}
	enc, err := Encrypt(plain, secret.Password, secret.ID)
	if err != nil {
		return err
	}
	return ReplaceFile(name, enc, 0o600)
}

// inEditor writes content to a temporary file only the user can read, runs
// the editor on it and returns what was saved. The plaintext is overwritten
// before the file is removed.
func (f *Files) inEditor(name string, content []byte) ([]byte, error) {
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
	if err := f.Edit(tmp); err != nil {
		return nil, err
	}
	return os.ReadFile(tmp)
}

// Editor runs $EDITOR (default vi) on a file, on the given terminal streams.
func Editor(stdin io.Reader, stdout, stderr io.Writer) func(path string) error {
	return func(path string) error {
		editor := strings.Fields(os.Getenv("EDITOR"))
		if len(editor) == 0 {
			editor = []string{"vi"}
		}
		cmd := exec.Command(editor[0], append(editor[1:], path)...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("editor %s: %v (nothing was saved)", strings.Join(editor, " "), err)
		}
		return nil
	}
}

// EncryptStrings prints each string as a YAML `NAME: !vault |` block, in
// ansible-vault's format.
func (f *Files) EncryptStrings(items []Named) error {
	var blocks []string
	for _, it := range items {
		enc, err := f.Keys.Encrypt(it.Plain, f.EncryptID)
		if err != nil {
			return err
		}
		blocks = append(blocks, YAMLBlock(it.Name, enc))
	}
	return f.write("-", []byte(strings.Join(blocks, "\n")+"\n"))
}

// YAMLBlock is ansible-vault's format_ciphertext_yaml: the header line
// `NAME: !vault |`, then the vaulted text indented by 10 spaces.
func YAMLBlock(name string, enc []byte) string {
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

// Rekey encrypts each file again with newKeys, keeping its mode.
func (f *Files) Rekey(names []string, newKeys *Keyring) error {
	for _, name := range names {
		plain, _, err := f.decrypt(name)
		if err != nil {
			return err
		}
		enc, err := newKeys.Encrypt(plain, f.EncryptID)
		if err != nil {
			return err
		}
		if err := ReplaceFile(name, enc, keptMode(name)); err != nil {
			return err
		}
	}
	return nil
}

// ReplaceFile writes data to a new file beside name and renames it into
// place, so that a crash leaves the old file or the new one, never half.
func ReplaceFile(name string, data []byte, mode os.FileMode) error {
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

// TerminalPrompt reads a password on the controlling terminal without
// echo; nil when there is no terminal (then a prompt is a clear error).
func TerminalPrompt() func(string) ([]byte, error) {
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
