package template

import (
	"fmt"
	"regexp"

	"github.com/GehirnInc/crypt/md5_crypt"
	"github.com/GehirnInc/crypt/sha256_crypt"
	"github.com/GehirnInc/crypt/sha512_crypt"
)

// cryptAlgo is one of the crypt(3) schemes password_hash makes, with the
// salt sizes and implicit rounds of Ansible's utils/encrypt.py.
type cryptAlgo struct {
	id             string
	saltSize       int
	implicitRounds int
	generate       func(key, salt []byte) (string, error)
}

var cryptAlgos = map[string]cryptAlgo{
	"sha512": {"6", 16, 656000, sha512_crypt.New().Generate},
	"sha256": {"5", 16, 535000, sha256_crypt.New().Generate},
	"md5":    {"1", 8, 0, md5_crypt.New().Generate},
}

var saltChars = regexp.MustCompile(`^[./0-9A-Za-z]*$`)

const saltAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./"

// fPasswordHash is Ansible's password_hash(hashtype='sha512', salt=None,
// salt_size=None, rounds=None) as Ansible computes it without passlib
// (Python's crypt, which is what ansible-core uses by default): the
// rounds that passlib would imply are crypt's default (5000, not written
// in the hash), other rounds are written as rounds=N.
func fPasswordHash(in any, a *fargs) (any, error) {
	if err := a.expect(5, "hashtype", "salt", "salt_size", "rounds", "ident"); err != nil {
		return nil, err
	}
	hashType, err := a.str(0, "hashtype", "sha512")
	if err != nil {
		return nil, err
	}
	algo, ok := cryptAlgos[hashType]
	if !ok {
		return nil, fmt.Errorf("password_hash does not support '%s' (sha512, sha256, md5)", hashType)
	}
	saltSize, err := a.integer(2, "salt_size", algo.saltSize)
	if err != nil {
		return nil, err
	}
	salt, err := passwordSalt(a.or(1, "salt", nil), saltSize, algo.saltSize)
	if err != nil {
		return nil, err
	}
	rounds, err := a.integer(3, "rounds", 0)
	if err != nil {
		return nil, err
	}
	if ident, _ := a.get(4, "ident"); truthy(ident) && pyStr(ident) != algo.id {
		return nil, fmt.Errorf("password_hash: ident '%s' applies to bcrypt only", pyStr(ident))
	}
	setting := "$" + algo.id
	if rounds != 0 && rounds != algo.implicitRounds {
		if algo.id == "1" {
			return nil, fmt.Errorf("password_hash: md5 takes no rounds")
		}
		setting += fmt.Sprintf("$rounds=%d", rounds)
	}
	return algo.generate([]byte(pyStr(in)), []byte(setting+"$"+salt))
}

// passwordSalt is the given salt, checked as Ansible checks it, or a
// random one of saltSize characters.
func passwordSalt(given any, saltSize, maxSize int) (string, error) {
	if !truthy(given) {
		r := &pyRandom{system: true}
		b := make([]byte, saltSize)
		for i := range b {
			b[i] = saltAlphabet[r.randbelow(len(saltAlphabet))]
		}
		given = string(b)
	}
	salt := pyStr(given)
	if !saltChars.MatchString(salt) {
		return "", fmt.Errorf("invalid characters in salt")
	}
	if len(salt) > maxSize {
		return "", fmt.Errorf("invalid salt size")
	}
	return salt, nil
}
