package vault

import (
	"errors"
	"fmt"
	"strings"
)

// Secret is one vault password and the vault id (label) it was given under.
type Secret struct {
	ID       string // "default" when given without a label
	Password []byte
	Source   string // where it came from, for messages: a file name, "prompt"
}

// Keyring is the ordered vault passwords of a run. The zero value and nil
// hold none: decrypting then fails with a message saying how to give one.
type Keyring struct {
	secrets []Secret
}

// NewKeyring returns a keyring holding secrets, tried in that order.
func NewKeyring(secrets ...Secret) *Keyring {
	k := &Keyring{}
	for _, s := range secrets {
		k.Add(s)
	}
	return k
}

// Add appends a secret; an empty ID means DefaultID.
func (k *Keyring) Add(s Secret) {
	if s.ID == "" {
		s.ID = DefaultID
	}
	k.secrets = append(k.secrets, s)
}

// Len is the number of secrets.
func (k *Keyring) Len() int {
	if k == nil {
		return 0
	}
	return len(k.secrets)
}

// Passwords returns every password, for the output masker: a vault password
// is a secret like the values it protects.
func (k *Keyring) Passwords() []string {
	if k == nil {
		return nil
	}
	out := make([]string, 0, len(k.secrets))
	for _, s := range k.secrets {
		out = append(out, string(s.Password))
	}
	return out
}

// IDs lists the vault ids, in order.
func (k *Keyring) IDs() []string {
	if k == nil {
		return nil
	}
	ids := make([]string, 0, len(k.secrets))
	for _, s := range k.secrets {
		ids = append(ids, s.ID)
	}
	return ids
}

// ErrNoPassword is wrapped by the error of decrypting without any password.
var ErrNoPassword = errors.New("no vault password was given")

// Decrypt opens vaulted data. name says where the data is (a file, or
// file:line for an inline value) and starts every error. As Ansible does
// (vault_id_match off), the secrets whose id matches the data's 1.2 header
// are tried first, then all the others in order.
func (k *Keyring) Decrypt(data []byte, name string) ([]byte, error) {
	plain, _, err := k.DecryptWithSecret(data, name)
	return plain, err
}

// DecryptWithSecret is Decrypt, also returning the secret that opened the
// data (edit and rekey keep it).
func (k *Keyring) DecryptWithSecret(data []byte, name string) ([]byte, Secret, error) {
	env, err := Parse(data)
	if err != nil {
		return nil, Secret{}, fmt.Errorf("%s: %w", name, err)
	}
	if k.Len() == 0 {
		return nil, Secret{}, fmt.Errorf("%s is encrypted with ansible-vault%s and %w: pass --vault-password-file FILE, --vault-id [LABEL@]FILE or --ask-vault-pass",
			name, idNote(env.ID), ErrNoPassword)
	}
	for _, s := range k.ordered(env.ID) {
		plain, err := env.Decrypt(s.Password)
		if err == nil {
			return plain, s, nil
		}
		var fe *FormatError
		if errors.As(err, &fe) {
			return nil, Secret{}, fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil, Secret{}, fmt.Errorf("%s: decryption failed: none of the vault passwords given (vault ids %s) opens it%s; give the password it was encrypted with",
		name, strings.Join(k.IDs(), ", "), idNote(env.ID))
}

func idNote(id string) string {
	if id == "" {
		return ""
	}
	return fmt.Sprintf(" (its vault id is %q)", id)
}

// ordered puts the secrets labelled id first.
func (k *Keyring) ordered(id string) []Secret {
	out := make([]Secret, 0, len(k.secrets))
	for _, s := range k.secrets {
		if id != "" && s.ID == id {
			out = append(out, s)
		}
	}
	for _, s := range k.secrets {
		if id == "" || s.ID != id {
			out = append(out, s)
		}
	}
	return out
}

// EncryptSecret picks the secret to encrypt with, as ansible-vault does:
// the one labelled id when id is set, else the only one; several without
// an id is an error.
func (k *Keyring) EncryptSecret(id string) (Secret, error) {
	if k.Len() == 0 {
		return Secret{}, fmt.Errorf("%w: pass --vault-password-file FILE, --vault-id [LABEL@]FILE or --ask-vault-pass", ErrNoPassword)
	}
	if id != "" {
		for _, s := range k.secrets {
			if s.ID == id {
				return s, nil
			}
		}
		return Secret{}, fmt.Errorf("--encrypt-vault-id %s matches none of the vault ids given (%s)", id, strings.Join(k.IDs(), ", "))
	}
	if len(k.secrets) > 1 {
		return Secret{}, fmt.Errorf("the vault ids %s are available to encrypt with: choose one with --encrypt-vault-id", strings.Join(k.IDs(), ","))
	}
	return k.secrets[0], nil
}

// Encrypt vaults plaintext with the secret EncryptSecret(id) picks, writing
// its vault id in the header (format 1.2) unless it is the default one.
func (k *Keyring) Encrypt(plaintext []byte, id string) ([]byte, error) {
	s, err := k.EncryptSecret(id)
	if err != nil {
		return nil, err
	}
	return Encrypt(plaintext, s.Password, s.ID)
}
