package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"
)

func outputFlag(fs *flagSet) {
	fs.StringP("output", "o", "", "output format. supported values: json")
}

func versionsFlags(fs *flagSet) {
	fs.Int("current-page", 0, "offset by page size at which to start retrieving versions")
	fs.Int("page-size", 20, "number of versions to return (defaults to 20)")
	fs.Bool("pin-latest", false, "set to true to always return the latest version at the beginning")
	fs.Bool("pin-latest-deployable", false, "set to true to always return the latest deployable version at the beginning")
	fs.StringP("output", "o", "", "output format (currently supported: json)")
}

func getConfigFlags(fs *flagSet) {
	fs.Int64("sequence", -1, "app sequence to retrieve config for")
	fs.String("appslug", "", "app slug to retrieve config for")
	fs.Bool("decrypt", false, "decrypt encrypted config items")
	fs.Bool("current", false, "get config values for the currently deployed version of the app")
}

// connected builds the client, records the call and reaches kotsadm: the
// common start of the commands that talk to kotsadm.
func (c *invocation) connected(ctx context.Context) (*kube, string, error) {
	k, ns, err := c.recorded()
	if err != nil {
		return nil, "", err
	}
	return k, ns, connect(ctx, k, ns)
}

// recorded builds the client, settles the namespace and records the call.
func (c *invocation) recorded() (*kube, string, error) {
	k, err := c.kube()
	if err != nil {
		return nil, "", err
	}
	ns := c.namespaceOrDefault(k)
	record(ns, c.argv)
	return k, ns, nil
}

// printedApp is print.App.
type printedApp struct {
	Slug         string `json:"slug"`
	State        string `json:"state"`
	VersionLabel string `json:"versionlabel"`
}

func runGetApps(c *invocation) error {
	ctx := context.Background()
	k, ns, err := c.connected(ctx)
	if err != nil {
		return err
	}
	apps, err := listApps(ctx, k, ns)
	if err != nil {
		return err
	}
	now := time.Now()
	printed := []printedApp{}
	for _, a := range apps {
		p := printedApp{Slug: a.Slug, State: a.state(now)}
		if cur := a.current(); cur != nil {
			p.VersionLabel = cur.VersionLabel
		}
		printed = append(printed, p)
	}
	if c.str("output") == "json" {
		return printJSON(c, printed)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 8, 1, '\t', 0)
	fmt.Fprintf(tw, "SLUG\tSTATUS\tVERSION\n")
	for _, p := range printed {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Slug, p.State, p.VersionLabel)
	}
	return tw.Flush()
}

// printedVersion is print.AppVersionResponse.
type printedVersion struct {
	VersionLabel string     `json:"versionLabel"`
	Sequence     int64      `json:"sequence"`
	CreatedOn    time.Time  `json:"createdOn"`
	Status       string     `json:"status"`
	DeployedAt   *time.Time `json:"deployedAt"`
	Source       string     `json:"source"`
}

func runGetVersions(c *invocation) error {
	if len(c.args) == 0 {
		return c.help()
	}
	output := c.str("output")
	if output != "json" && output != "" {
		return fmt.Errorf("output format %s not supported (allowed formats are: json)", output)
	}
	ctx := context.Background()
	k, ns, err := c.connected(ctx)
	if err != nil {
		return err
	}
	a, err := loadApp(ctx, k, ns, c.args[0])
	if err != nil {
		return err
	}
	if a == nil {
		return fmt.Errorf("failed to get app versions: unexpected status code 404")
	}
	now := time.Now()
	printed := []printedVersion{}
	for i := len(a.Versions) - 1; i >= 0; i-- { // newest first, as the version history is
		v := a.Versions[i]
		printed = append(printed, printedVersion{VersionLabel: v.VersionLabel, Sequence: v.Sequence, CreatedOn: v.CreatedOn,
			Status: v.status(now), DeployedAt: v.deployedAt(now), Source: v.Source})
	}
	if output == "json" {
		return printJSON(c, printed)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 8, 1, '\t', 0)
	fmt.Fprintf(tw, "VERSION\tSEQUENCE\tSTATUS\tSOURCE\n")
	for _, v := range printed {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", v.VersionLabel, v.Sequence, v.Status, v.Source)
	}
	return tw.Flush()
}

func printJSON(c *invocation, v any) error {
	b, err := json.MarshalIndent(v, "", "    ")
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, string(b))
	return nil
}

// runGetConfig is get-config.go: the latest version's config, or with
// --current the deployed one's, or --sequence's.
// runGetConfig is getConfigCmd (cmd/kots/cli/get-config.go:48-159): the
// version is --sequence, the deployed one with --current (an error when
// none is deployed), else the newest.
func runGetConfig(c *invocation) error {
	if seq, _ := c.flags.GetInt64("sequence"); c.boolean("current") && seq != -1 {
		return fmt.Errorf("cannot use --current and --sequence together")
	}
	ctx := context.Background()
	k, ns, err := c.connected(ctx)
	if err != nil {
		return err
	}
	apps, err := listApps(ctx, k, ns)
	if err != nil {
		return err
	}
	slug := c.str("appslug")
	if slug == "" {
		if len(apps) != 1 {
			return fmt.Errorf("appslug is required")
		}
		slug = apps[0].Slug
	}
	var found *app
	for _, a := range apps {
		if a.Slug == slug {
			found = a
		}
	}
	if found == nil {
		return fmt.Errorf("app %s not found", slug)
	}
	v, err := configVersion(c, found)
	if err != nil {
		return err
	}
	out, err := renderConfig(v, c.boolean("decrypt"))
	if err != nil {
		return fmt.Errorf("failed to marshal config: %w", err)
	}
	_, err = c.stdout.Write(out)
	return err
}

// configVersion is the version whose config get config prints
// (get-config.go:128-137).
func configVersion(c *invocation, a *app) (*version, error) {
	seq, _ := c.flags.GetInt64("sequence")
	if c.boolean("current") {
		cur := a.current()
		if cur == nil {
			return nil, fmt.Errorf("no deployed version found for app %s", a.Slug)
		}
		return cur, nil
	}
	if seq == -1 {
		return a.latest(), nil
	}
	for i := range a.Versions {
		if a.Versions[i].Sequence == seq {
			return &a.Versions[i], nil
		}
	}
	return nil, fmt.Errorf("failed to get config: failed to get app version: sequence %d not found", seq)
}
