package runner

import (
	"fmt"
	"slices"

	"github.com/ferry-sh/ferry/runner/template"
	"gopkg.in/yaml.v3"
)

// promptSchemes are the encrypt values of vars_prompt that ansible-core
// 2.14 hashes without passlib (utils/encrypt.py's CryptHash.algorithms,
// bcrypt aside: crypt(3) of the controller decides it there).
var promptSchemes = []string{"md5_crypt", "sha256_crypt", "sha512_crypt"}

// promptEncryption reads a vars_prompt's encrypt, salt or salt_size.
func (p *parser) promptEncryption(vp *VarPrompt, key string, v *yaml.Node) {
	switch key {
	case "encrypt":
		vp.Encrypt = p.str(v)
		if !slices.Contains(promptSchemes, vp.Encrypt) {
			p.errorf(v, "use one of "+fmt.Sprint(promptSchemes), "vars_prompt encrypt %q is not a scheme ferry hashes with", vp.Encrypt)
		}
	case "salt":
		vp.Salt = p.str(v)
	case "salt_size":
		n, ok := p.value(v).(int)
		if !ok || n < 0 {
			p.errorf(v, "give a whole number of characters", "vars_prompt salt_size must be a whole number, not %q", v.Value)
		}
		vp.SaltSize = n
	}
}

// encryptAnswer is the answer (or default) hashed as the prompt's encrypt
// says, as do_encrypt hashes it: the given salt, else a random one of
// salt_size characters (the scheme's size when 0). An answer given with -e
// is never hashed (Ansible does not prompt for it).
func encryptAnswer(vp VarPrompt, v any) (any, error) {
	if vp.Encrypt == "" {
		return v, nil
	}
	hash, err := template.CryptHash(template.PyText(v), vp.Encrypt, vp.Salt, vp.SaltSize)
	if err != nil {
		return nil, fmt.Errorf("%s: vars_prompt %s: %w", vp.Pos, vp.Name, err)
	}
	return hash, nil
}
