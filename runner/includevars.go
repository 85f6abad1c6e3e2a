package runner

import (
	"github.com/ferry-sh/ferry/inventory"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/vault"
)

// includedVarNames adds to known the names that include_vars tasks define,
// reading the files they name. It reports true when one names its file
// with a template, so that the names are known only at run time.
func includedVarNames(pb *Playbook, keys *vault.Keyring, known map[string]bool) bool {
	unknowable := false
	for _, play := range pb.Plays {
		play.AllTasks(func(t *Task, _ bool) {
			if t.Module != "include_vars" {
				return
			}
			if name, ok := t.Args["name"].(string); ok && name != "" {
				known[name] = true
				return
			}
			base := play.Dir
			if t.Role != nil {
				base = t.Role.Path
			}
			args := modules.Args(t.Args)
			if hasTemplate(map[string]any(t.Args)) {
				unknowable = true
				return
			}
			m, _ := modules.Lookup(t.Module)
			reader, ok := m.(modules.VarsFileReader)
			if !ok {
				return
			}
			files, err := reader.VarsFiles(base, args)
			if err != nil {
				return // reported when the task runs, as Ansible does
			}
			for _, f := range files {
				vars, _, _ := ReadVarsFile(keys, f)
				for k := range vars {
					known[k] = true
				}
			}
		})
	}
	return unknowable
}

func inventoryKeyring(inv *inventory.Inventory) *vault.Keyring {
	if inv == nil {
		return nil
	}
	return inv.Vault()
}
