package runner

import (
	"errors"
	"os"

	"github.com/ferry-sh/ferry/config"
	"github.com/ferry-sh/ferry/inventory"
	"github.com/ferry-sh/ferry/runner/template"
)

// engineOptions connects the template engine's lookups to the run: lookup
// passwords and vaulted files become secrets, vaulted files open with the
// run's vault passwords, and inventory_hostnames asks the inventory.
func (r *Runner) engineOptions(dir string) template.Options {
	masker := r.opts.Masker
	o := template.Options{BaseDir: dir, Env: os.LookupEnv, Secret: func(s string) { masker.Add(s) }}
	o.Config, o.ConfigNames = r.settings().Lookup, config.LookupNames()
	o.Warn = func(msg string) { r.warn("%s", msg) }
	if keys := r.opts.Vault; keys != nil && keys.Len() > 0 {
		o.Decrypt = keys.Decrypt
	}
	if inv := r.opts.Inventory; inv != nil {
		o.Hosts = func(pattern string) ([]string, error) {
			hosts, err := inv.Match(pattern)
			var none *inventory.NoMatchError
			if err != nil && !errors.As(err, &none) {
				return nil, err
			}
			names := make([]string, len(hosts))
			for i, h := range hosts {
				names[i] = h.Name
			}
			return names, nil
		}
	}
	return o
}

// settings are the run's configuration settings: Ansible's defaults when
// the command line gave none.
func (r *Runner) settings() *config.Settings {
	if r.opts.Config != nil {
		return r.opts.Config
	}
	return config.Defaults()
}
