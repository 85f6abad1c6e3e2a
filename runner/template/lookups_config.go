package template

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The config lookup answers Ansible's configuration settings, as
// lib/ansible/plugins/lookup/config.py: one value per term; a setting not
// found is an error, skipped, or skipped with a warning (on_missing).
// Options.Config says what a setting's value is; plugin settings
// (plugin_type and plugin_name) are not known to ferry.

func init() {
	lookupPlugins["config"] = lookupSpec{kw: []string{"on_missing", "plugin_type", "plugin_name"}, run: lookupConfig}
}

func lookupConfig(c *lookupCall, terms []any) ([]any, error) {
	missing, err := configOnMissing(c.kw)
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, t := range terms {
		name, ok := t.(string)
		if !ok {
			return nil, fmt.Errorf("Invalid setting identifier, \"%s\" is not a string, its a %s", pyStr(t), pyClass(t))
		}
		v, found, err := c.e.setting(name)
		if err != nil {
			return nil, err
		}
		switch {
		case found:
			out = append(out, v)
		case missing == "error":
			return nil, fmt.Errorf("Unable to find setting %s (the settings ferry knows: %s)", name, strings.Join(c.e.opts.ConfigNames, ", "))
		case missing == "warn" && c.e.opts.Warn != nil:
			c.e.opts.Warn("Skipping, did not find setting " + name)
		}
	}
	return out, nil
}

// configOnMissing checks the lookup's options as the plugin does.
func configOnMissing(kw map[string]any) (string, error) {
	_, ptype := kw["plugin_type"]
	_, pname := kw["plugin_name"]
	if ptype != pname {
		return "", errors.New("Both plugin_type and plugin_name are required, cannot use one without the other")
	}
	if ptype {
		return "", errors.New("the settings of plugins (plugin_type, plugin_name) are not known to ferry: give the value as a variable")
	}
	missing := "error"
	if v, ok := kw["on_missing"]; ok {
		s, isStr := v.(string)
		if !isStr || !slices.Contains([]string{"error", "skip", "warn"}, s) {
			return "", fmt.Errorf("Invalid value \"%s\" for configuration option \"plugin_type: lookup plugin: config setting: on_missing \", valid values are: error, skip, warn", pyStr(v))
		}
		missing = s
	}
	return missing, nil
}

// setting asks Options.Config; without one only Ansible's defaults of
// nothing are known: every setting is missing.
func (e *Engine) setting(name string) (any, bool, error) {
	if e.opts.Config == nil {
		return nil, false, nil
	}
	return e.opts.Config(name)
}

// pyClass is how Python shows a value's type in messages: <class 'int'>.
func pyClass(v any) string { return "<class '" + typeName(v) + "'>" }
