package main

import (
	"context"
	"fmt"
	"os"
	"strings"
)

// setConfigFlags are `set config`'s flags (cmd/kots/cli/set-config.go).
func setConfigFlags(fs *flagSet) {
	fs.String("key", "", "name of a single key to set. This flag requires --value or --value-from-file flags")
	fs.String("value", "", "the value to set for the key specified in the --key flag. This flag cannot be used with --value-from-file flag.")
	fs.String("value-from-file", "", "path to the file containing the value to set for the key specified in the --key flag. This flag cannot be used with --value flag.")
	fs.String("config-file", "", "path to a manifest containing config values (must be apiVersion: kots.io/v1beta1, kind: ConfigValues)")
	fs.Bool("merge", false, "when set to true, only keys specified in config file will be updated. This flag can only be used when --config-file flag is used.")
	fs.Bool("deploy", false, "when set, automatically deploy the latest version with the new configuration")
	fs.Bool("skip-preflights", false, "set to true to skip preflight checks when deploying new version")
	fs.Bool("current", false, "set to true to use the currently deployed version of the app as the base for the new version")
	fs.Int64("sequence", -1, "sequence of the app version to use as the base for the new version (defaults to the latest version unless --current flag is set)")
}

// runSetConfig creates a version with the new config and, with --deploy,
// deploys it. Without --config-file, merge is forced true.
func runSetConfig(c *invocation) error {
	if len(c.args) < 1 {
		return c.help()
	}
	slug := c.args[0]
	if c.boolean("skip-preflights") && !c.boolean("deploy") {
		c.info("--skip-preflights will be ignored because --deploy is not set")
	}
	given, err := configFromArgs(c)
	if err != nil {
		return fmt.Errorf("failed to create config values from arguments: %w", err)
	}
	ctx := context.Background()
	k, ns, err := c.connected(ctx)
	if err != nil {
		return err
	}
	c.action("Updating %s configuration...", slug)
	a, err := loadApp(ctx, k, ns, slug)
	if err != nil {
		return err
	}
	if a == nil {
		return fmt.Errorf("app with slug %s not found", slug)
	}
	merge := c.boolean("merge") || c.str("config-file") == ""
	base := a.latest()
	if cur := a.current(); c.boolean("current") && cur != nil {
		base = cur
	}
	values := given
	if merge {
		values = mergeValues(base.Values, given)
	}
	v := a.addVersion(version{VersionLabel: base.VersionLabel, UpdateCursor: base.UpdateCursor, Source: "Config Change", Items: base.Items, Preflights: base.Preflights, Values: values})
	v.Status = statusPending
	if c.boolean("deploy") {
		// As for an upgrade, blocking preflights leave the version pending.
		_ = settle(v, v.Preflights, c.boolean("skip-preflights"))
	}
	if err := saveApp(ctx, k, ns, a); err != nil {
		return fmt.Errorf("failed to execute http request: %w", err)
	}
	c.action("Done")
	return nil
}

func configFromArgs(c *invocation) (map[string]configValue, error) {
	if file := c.str("config-file"); file != "" {
		if len(c.args) > 1 || c.str("key") != "" {
			return nil, fmt.Errorf("--config-file cannot be used with other key/value arguments")
		}
		return readConfigValues(file)
	}
	values := map[string]configValue{}
	if key := c.str("key"); key != "" {
		value, file := c.str("value"), c.str("value-from-file")
		switch {
		case value != "" && file != "":
			return nil, fmt.Errorf("only one of --value or --value-from-file can be specified")
		case value != "":
			values[key] = configValue{Value: value}
		case file != "":
			data, err := os.ReadFile(file)
			if err != nil {
				return nil, fmt.Errorf("failed to load value from file: %w", err)
			}
			values[key] = configValue{Value: string(data)}
		default:
			return nil, fmt.Errorf("--key flag requires either --value or --value-from-file flag")
		}
	}
	for _, arg := range c.args[1:] {
		k, v, ok := strings.Cut(arg, "=")
		if !ok {
			return nil, fmt.Errorf("argument should have KEY=VALUE format: %s", arg)
		}
		values[k] = configValue{Value: v}
	}
	return values, nil
}
