package template

import (
	"fmt"
	"strings"
)

// CryptHash hashes secret with a crypt scheme named as passlib names it
// (md5_crypt, sha256_crypt, sha512_crypt), as ansible-core 2.14's
// utils/encrypt.py CryptHash does for vars_prompt's encrypt: salt when
// given (checked as Ansible checks it), else a random salt of saltSize
// characters (the scheme's own size when 0), and the scheme's implicit
// rounds, which are not written in the hash.
func CryptHash(secret, scheme, salt string, saltSize int) (string, error) {
	algo, ok := cryptAlgos[strings.TrimSuffix(scheme, "_crypt")]
	if !ok || !strings.HasSuffix(scheme, "_crypt") {
		return "", fmt.Errorf("crypt.crypt does not support '%s' algorithm", scheme)
	}
	if saltSize == 0 {
		saltSize = algo.saltSize
	}
	var given any
	if salt != "" {
		given = salt
	}
	s, err := passwordSalt(given, saltSize, algo.saltSize)
	if err != nil {
		return "", err
	}
	return algo.generate([]byte(secret), []byte("$"+algo.id+"$"+s))
}
