// Package vault reads and writes Ansible Vault data: whole files and the
// inline `!vault |` values of YAML files, in format 1.1 and 1.2 (1.2 names a
// vault id in its header). The format is ansible-core's VaultAES256
// (lib/ansible/parsing/vault/__init__.py): a 32-byte random salt; PBKDF2-
// HMAC-SHA256 with 10000 iterations derives 80 bytes, split into an AES-256
// key, an HMAC-SHA256 key and a 16-byte CTR counter; the plaintext is PKCS#7
// padded, encrypted with AES-256-CTR and authenticated with HMAC-SHA256 over
// the ciphertext (encrypt-then-MAC); salt, HMAC and ciphertext are hex
// encoded, joined with newlines, hex encoded again and wrapped at 80 columns
// under a header line `$ANSIBLE_VAULT;1.1;AES256[;ID]`.
//
// Files written here decrypt with `ansible-vault` and the other way round
// (the tests check both against the installed ansible-vault).
//
// The package is a leaf: the inventory, the runner and the CLI use it, it
// uses none of them. Keyring holds the passwords of a run (Load reads them
// from --vault-id, --vault-password-file, prompts and the environment, as
// Ansible does) and picks the right one for each vaulted value.
package vault

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Header starts every vaulted text.
const Header = "$ANSIBLE_VAULT"

// DefaultID is the vault id of a password given without a label, and of data
// written without one (format 1.1), as Ansible's DEFAULT_VAULT_IDENTITY.
const DefaultID = "default"

const (
	saltLen    = 32
	keyLen     = 32
	ivLen      = aes.BlockSize
	iterations = 10000
	lineWidth  = 80
	cipherName = "AES256"
)

// ErrWrongPassword means the HMAC did not verify: the password is not the
// one the data was encrypted with (or the data was altered).
var ErrWrongPassword = errors.New("HMAC verification failed: wrong vault password, or the data was altered")

// FormatError is vaulted data that cannot be parsed (truncated, not hex,
// unknown cipher): no password can open it.
type FormatError struct{ Msg string }

func (e *FormatError) Error() string { return "malformed vault data: " + e.Msg }

func formatErr(format string, args ...any) error {
	return &FormatError{Msg: fmt.Sprintf(format, args...)}
}

// IsEncrypted reports whether data is vaulted text (Ansible's is_encrypted:
// it starts with the header; leading blank space is allowed, as in a YAML
// block).
func IsEncrypted(data []byte) bool {
	return bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte(Header+";"))
}

// Envelope is vaulted text taken apart: the header fields and the body (the
// outer hex, line breaks removed).
type Envelope struct {
	Version string // "1.1" or "1.2"
	Cipher  string // "AES256"
	ID      string // the vault id of a 1.2 header; "" for 1.1
	body    []byte
}

// Parse splits vaulted text into its header and body.
func Parse(data []byte) (*Envelope, error) {
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	fields := strings.Split(strings.TrimSpace(lines[0]), ";")
	if len(fields) < 3 || fields[0] != Header {
		return nil, formatErr("the first line must be %s;1.1;AES256 (or 1.2;AES256;ID), got %q", Header, truncate(lines[0], 60))
	}
	env := &Envelope{Version: strings.TrimSpace(fields[1]), Cipher: strings.TrimSpace(fields[2])}
	if len(fields) >= 4 {
		env.ID = strings.TrimSpace(fields[3])
	}
	if env.Cipher != cipherName {
		return nil, formatErr("cipher %q is not supported: ansible-vault writes AES256 (re-encrypt the file with ansible-vault rekey or ferry vault rekey)", env.Cipher)
	}
	var body strings.Builder
	for _, l := range lines[1:] {
		body.WriteString(strings.TrimSpace(l))
	}
	env.body = []byte(body.String())
	return env, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// Encrypt returns plaintext vaulted with password, formatted as
// ansible-vault writes it: format 1.1 when id is "" or "default", 1.2 with the
// id in the header otherwise; 80-column lines ending in a newline.
func Encrypt(plaintext, password []byte, id string) ([]byte, error) {
	if len(password) == 0 {
		return nil, errors.New("the vault password is empty")
	}
	if strings.ContainsAny(id, ";\n") {
		return nil, fmt.Errorf("vault id %q may not contain ';' or a line break", id)
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	return encryptWithSalt(plaintext, password, id, salt)
}

func encryptWithSalt(plaintext, password []byte, id string, salt []byte) ([]byte, error) {
	aesKey, hmacKey, iv, err := deriveKeys(password, salt)
	if err != nil {
		return nil, err
	}
	ciphertext := pkcs7Pad(plaintext)
	ctr, err := newCTR(aesKey, iv)
	if err != nil {
		return nil, err
	}
	ctr.XORKeyStream(ciphertext, ciphertext)
	mac := hmac.New(sha256.New, hmacKey)
	mac.Write(ciphertext)
	inner := strings.Join([]string{hex.EncodeToString(salt), hex.EncodeToString(mac.Sum(nil)), hex.EncodeToString(ciphertext)}, "\n")
	return envelope(hex.EncodeToString([]byte(inner)), id), nil
}

// envelope puts the header on body and wraps it at 80 columns.
func envelope(body, id string) []byte {
	var b bytes.Buffer
	if id == "" || id == DefaultID {
		b.WriteString(Header + ";1.1;" + cipherName + "\n")
	} else {
		b.WriteString(Header + ";1.2;" + cipherName + ";" + id + "\n")
	}
	for len(body) > lineWidth {
		b.WriteString(body[:lineWidth] + "\n")
		body = body[lineWidth:]
	}
	b.WriteString(body + "\n")
	return b.Bytes()
}

// Decrypt opens vaulted text with password. A wrong password returns
// ErrWrongPassword; unparseable data a *FormatError.
func Decrypt(data, password []byte) ([]byte, error) {
	env, err := Parse(data)
	if err != nil {
		return nil, err
	}
	return env.Decrypt(password)
}

// Decrypt opens the envelope with password.
func (env *Envelope) Decrypt(password []byte) ([]byte, error) {
	salt, sum, ciphertext, err := env.parts()
	if err != nil {
		return nil, err
	}
	aesKey, hmacKey, iv, err := deriveKeys(password, salt)
	if err != nil {
		return nil, err
	}
	mac := hmac.New(sha256.New, hmacKey)
	mac.Write(ciphertext)
	if !hmac.Equal(mac.Sum(nil), sum) { // constant time
		return nil, ErrWrongPassword
	}
	ctr, err := newCTR(aesKey, iv)
	if err != nil {
		return nil, err
	}
	plaintext := make([]byte, len(ciphertext))
	ctr.XORKeyStream(plaintext, ciphertext)
	return pkcs7Unpad(plaintext)
}

// parts undoes the two hex layers: salt, HMAC and ciphertext.
func (env *Envelope) parts() (salt, sum, ciphertext []byte, err error) {
	inner := make([]byte, hex.DecodedLen(len(env.body)))
	if _, err := hex.Decode(inner, env.body); err != nil {
		return nil, nil, nil, formatErr("the body is not hex: %v", err)
	}
	fields := bytes.SplitN(inner, []byte("\n"), 3)
	if len(fields) != 3 {
		return nil, nil, nil, formatErr("the body must hold salt, HMAC and ciphertext; it is truncated")
	}
	decoded := make([][]byte, 3)
	for i, f := range fields {
		if decoded[i], err = hex.DecodeString(string(f)); err != nil {
			return nil, nil, nil, formatErr("the inner body is not hex: %v", err)
		}
	}
	if len(decoded[1]) != sha256.Size || len(decoded[2])%aes.BlockSize != 0 || len(decoded[0]) == 0 {
		return nil, nil, nil, formatErr("the salt, HMAC or ciphertext has the wrong length; the data is truncated")
	}
	return decoded[0], decoded[1], decoded[2], nil
}

// deriveKeys is Ansible's _gen_key_initctr: 80 bytes of PBKDF2 output split
// into the AES key, the HMAC key and the CTR counter.
func deriveKeys(password, salt []byte) (aesKey, hmacKey, iv []byte, err error) {
	derived, err := pbkdf2.Key(sha256.New, string(password), salt, iterations, 2*keyLen+ivLen)
	if err != nil {
		return nil, nil, nil, err
	}
	return derived[:keyLen], derived[keyLen : 2*keyLen], derived[2*keyLen:], nil
}

func newCTR(key, iv []byte) (cipher.Stream, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewCTR(block, iv), nil
}

// pkcs7Pad pads to whole AES blocks, as Ansible does even in CTR mode (the
// format depends on it).
func pkcs7Pad(b []byte) []byte {
	n := aes.BlockSize - len(b)%aes.BlockSize
	out := make([]byte, len(b), len(b)+n)
	copy(out, b)
	return append(out, bytes.Repeat([]byte{byte(n)}, n)...)
}

func pkcs7Unpad(b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, formatErr("empty ciphertext")
	}
	n := int(b[len(b)-1])
	if n == 0 || n > aes.BlockSize || n > len(b) {
		return nil, formatErr("bad padding")
	}
	for _, c := range b[len(b)-n:] {
		if int(c) != n {
			return nil, formatErr("bad padding")
		}
	}
	return b[:len(b)-n], nil
}
