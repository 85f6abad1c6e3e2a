package modules

import (
	"fmt"
	"io"
	"os"

	"github.com/ferry-sh/ferry/vault"
)

// maxVaultedSource bounds a vault-encrypted copy or template source, which
// is decrypted in memory (vaulted files are keys and configs, not bundles).
const maxVaultedSource = 64_000_000

// Unvault returns a controller file's content decrypted when it is
// vault-encrypted, as Ansible's copy and template do; the plaintext is a
// secret from then on. ok is false for a plain file (nothing read past the
// header check).
func Unvault(h *Host, local string) (plain []byte, ok bool, err error) {
	f, err := os.Open(local)
	if err != nil {
		return nil, false, fmt.Errorf("src %s: %w", local, err)
	}
	defer f.Close()
	head := make([]byte, len(vault.Header)+1)
	n, _ := io.ReadFull(f, head)
	if !vault.IsEncrypted(head[:n]) {
		return nil, false, nil
	}
	data, err := os.ReadFile(local)
	if err != nil {
		return nil, false, fmt.Errorf("src %s: %w", local, err)
	}
	if len(data) > maxVaultedSource {
		return nil, false, fmt.Errorf("src %s: a vault-encrypted source larger than %s is not supported: keep big files unencrypted", local, HumanBytes(maxVaultedSource))
	}
	plain, err = h.Vault.Decrypt(data, local)
	if err != nil {
		return nil, false, err
	}
	h.AddSecret(string(plain))
	return plain, true, nil
}
