package kots_test

import (
	"github.com/ferry-sh/ferry/internal/modtest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/internal/fakekots"
	_ "github.com/ferry-sh/ferry/modules/all" // the modules the tests run
)

// The release's items, as a vendor names them: not ferry's guesses.
var vendorRelease = fakekots.Release{Slug: "dash-enterprise", Version: "5.2.1", ConfigItems: []fakekots.Item{
	{Name: "ssl_certificate", Type: "file", Required: true}, {Name: "ssl_private_key", Type: "file", Required: true},
	{Name: "git_ssh_port", Default: "22"}, {Name: "PIP_EXTRA_INDEX_URL"},
}}

// TestKotsReleaseChecksConfigValues: on the controller, before anything is
// staged, a ConfigValues key the release lacks fails with the release's own
// items listed, as does a required item left unset; matching values pass
// and the release is reported.
func TestKotsReleaseChecksConfigValues(t *testing.T) {
	bundle := fakekots.Bundle(t, vendorRelease)
	h := modtest.NewHost(t)
	h.BaseDir = t.TempDir()

	res, _, err := modtest.Run(t, h, "kots_release", map[string]any{"bundle": bundle,
		"config_values": map[string]any{"tls_cert": map[string]any{"value": "eA==", "filename": "tls.crt"}, "git_ssh_port": "3022"}})
	if err != nil {
		t.Fatal(err)
	}
	want := `config_values: "tls_cert" is not a config item of dash-enterprise 5.2.1; its items are: PIP_EXTRA_INDEX_URL, git_ssh_port, ssl_certificate, ssl_private_key`
	if !res.Failed || !strings.Contains(res.Msg, want) {
		t.Errorf("an unknown key: failed=%v msg %q, want %q", res.Failed, res.Msg, want)
	}
	if !strings.Contains(res.Msg, "requires a value for ssl_certificate, ssl_private_key") {
		t.Errorf("the unset required items are not named: %q", res.Msg)
	}

	res, _, err = modtest.Run(t, h, "kots_release", map[string]any{"bundle": bundle, "config_values": map[string]any{
		"ssl_certificate": map[string]any{"value": "eA==", "filename": "tls.crt"}, "ssl_private_key": map[string]any{"value": "eA=="},
		"git_ssh_port": "3022"}})
	if err != nil || res.Failed {
		t.Fatalf("matching values: %v %+v", err, res)
	}
	if res.Data["app_slug"] != "dash-enterprise" || res.Data["version_label"] != "5.2.1" || len(res.Data["items"].([]any)) != 4 {
		t.Errorf("data = %v", res.Data)
	}

	notABundle := filepath.Join(t.TempDir(), "license.yaml")
	if err := os.WriteFile(notABundle, []byte("kind: License\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := modtest.Run(t, h, "kots_release", map[string]any{"bundle": notABundle}); err == nil || !strings.Contains(err.Error(), "not a gzip-compressed .airgap bundle") {
		t.Errorf("a license as the bundle: %v", err)
	}
}
