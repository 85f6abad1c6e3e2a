package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// upgradeFlags are `upstream upgrade`'s flags (cmd/kots/cli/upstream-upgrade.go).
func upgradeFlags(fs *flagSet) {
	fs.Bool("deploy", false, "when set, automatically deploy the latest version. if an airgap bundle is provided, the version created from that airgap bundle is deployed instead.")
	fs.String("deploy-version-label", "", "when set, automatically deploy the version with the provided version label")
	fs.Bool("skip-preflights", false, "set to true to skip preflight checks")
	fs.Bool("skip-compatibility-check", false, "set to true to skip compatibility checks between the current kots version and new app version(s)")
	fs.Bool("wait", true, "set to false to download the updates in the background")
	fs.String("airgap-bundle", "", "path to the application airgap bundle where application images and metadata will be loaded from")
	fs.Bool("disable-image-push", false, "set to true to disable images from being pushed to private registry")
	fs.Bool("skip-registry-check", false, "set to true to skip the connectivity test and validation of the provided registry information")
	fs.StringP("output", "o", "", "output format (currently supported: json)")
	fs.Bool("debug", false, "when set, log full error traces in some cases where we provide a pretty message")
	registryFlags(fs)
}

// upgradeResponse is pkg/upstream UpgradeResponse.
type upgradeResponse struct {
	Success           bool             `json:"success"`
	AvailableUpdates  int64            `json:"availableUpdates"`
	CurrentRelease    *upgradeRelease  `json:"currentRelease,omitempty"`
	AvailableReleases []upgradeRelease `json:"availableReleases,omitempty"`
	DeployingRelease  *upgradeRelease  `json:"deployingRelease,omitempty"`
	Error             string           `json:"error,omitempty"`
}

type upgradeRelease struct {
	Sequence int64  `json:"sequence"`
	Version  string `json:"version"`
}

// runUpgrade uploads an airgap update. Like the real command, a failed
// upgrade is reported in the output (res.Error) with exit status 0; only a
// failure to reach kotsadm exits 1.
func runUpgrade(c *invocation) error {
	if len(c.args) == 0 {
		return c.help()
	}
	slug := c.args[0]
	output := c.str("output")
	if output != "json" && output != "" {
		return fmt.Errorf("output format %s not supported (allowed formats are: json)", output)
	}
	ctx := context.Background()
	k, ns, err := c.connected(ctx)
	if err != nil {
		return err
	}
	res, err := upgrade(ctx, c, k, ns, slug)
	if err != nil {
		res = &upgradeResponse{Error: err.Error()}
	} else {
		res.Success = true
	}
	return c.logUpgrade(res, output)
}

func upgrade(ctx context.Context, c *invocation, k *kube, ns, slug string) (*upgradeResponse, error) {
	var rel release
	bundle := c.str("airgap-bundle")
	if bundle != "" {
		var err error
		if rel, err = readBundle(bundle); err != nil {
			return nil, fmt.Errorf("failed to extract images: %w", err)
		}
	}
	a, err := loadApp(ctx, k, ns, slug)
	if err != nil {
		return nil, err
	}
	if a == nil {
		return nil, fmt.Errorf("The application %s was not found in the cluster in the specified namespace", slug)
	}
	if bundle == "" {
		// An online update check; an airgapped instance has nothing to fetch.
		return &upgradeResponse{}, nil
	}
	if err := canInstall(c, a.latest(), rel); err != nil {
		return nil, err
	}
	res := &upgradeResponse{}
	if cur := a.current(); cur != nil {
		res.CurrentRelease = &upgradeRelease{Sequence: cur.Sequence, Version: cur.VersionLabel}
	}
	prev := a.latest()
	v := a.addVersion(version{VersionLabel: rel.versionLabel, UpdateCursor: rel.updateCursor, Source: "Airgap Update", Items: rel.items, Preflights: rel.preflights, Values: prev.Values})
	v.Status = statusPending
	if c.boolean("deploy") {
		// kotsadm deploys the new version once its preflights pass; when
		// they block, the version stays pending and the CLI, which has
		// already returned, reports success all the same.
		_ = settle(v, rel.preflights, c.boolean("skip-preflights"))
		if v.Status == statusDeploying {
			res.DeployingRelease = &upgradeRelease{Sequence: v.Sequence, Version: v.VersionLabel}
		}
	}
	if err := saveApp(ctx, k, ns, a); err != nil {
		return nil, fmt.Errorf("failed to check for updates: %w", err)
	}
	return res, nil
}

// logUpgrade is logUpstreamUpgrade: JSON on one Info line, else text.
func (c *invocation) logUpgrade(res *upgradeResponse, output string) error {
	if output == "json" {
		b, err := json.Marshal(res)
		if err != nil {
			return fmt.Errorf("error marshaling JSON: %w", err)
		}
		c.info("%s", b)
		return nil
	}
	if res.Error != "" {
		c.action("%s", res.Error)
		return nil
	}
	c.action("Uploading application update ✓")
	c.action("")
	if c.boolean("deploy") {
		c.action("Update has been uploaded and is being deployed")
	} else {
		c.action("Update has been uploaded")
	}
	return nil
}

// canInstall is pkg/airgap/update.go canInstall for a license without
// semver: the bundle's update cursor is compared with the base version's,
// which is the newest version (GetAppVersionBaseSequence,
// pkg/store/kotsstore/version_store.go:261), deployed or not. The same
// cursor is refused (update.go:328); kotsadm answers 500 with the message
// as body, which the CLI logs, and the CLI reports the status
// (pkg/upstream/upgrade.go).
func canInstall(c *invocation, base *version, rel release) error {
	if base == nil || base.UpdateCursor != rel.updateCursor {
		return nil
	}
	fmt.Fprintf(c.stderr, "Version %s (%s) cannot be installed again because it is already the current version\n", rel.versionLabel, rel.updateCursor)
	return errors.New("Unexpected response from the API: 500")
}
