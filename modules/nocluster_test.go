package modules_test

import (
	"errors"
	"github.com/ferry-sh/ferry/internal/modtest"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/ferry-sh/ferry/modules/all" // the modules the tests run
	"github.com/ferry-sh/ferry/modules/kube"
)

// On a fresh site the cluster does not exist yet: in check mode the cluster
// modules plan their work; in a real run they fail with ErrNoCluster.
func TestClusterModulesWithoutACluster(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "admin.conf")
	cases := map[string]map[string]any{
		"kots_upload":   {"license_file": "/l.yaml", "airgap_bundle": "/b.airgap", "admin_console_password": "secret-pw", "kubeconfig": missing},
		"keycloak_user": {"server": "dash.example.com", "username": "admin", "password": "secret-pw", "kubeconfig": missing},
		"limits":        {"namespaces": []any{"apps"}, "kubeconfig": missing},
	}
	for module, args := range cases {
		t.Run(module, func(t *testing.T) {
			h := modtest.NewHost(t)
			h.Check = true
			res, changes := modtest.MustRun(t, h, module, args)
			if len(changes) != 1 || !strings.Contains(changes[0], "once the cluster exists") {
				t.Errorf("check mode plan = %v (%s)", changes, res.Msg)
			}
			h = modtest.NewHost(t)
			if _, _, err := modtest.Run(t, h, module, args); !errors.Is(err, kube.ErrNoCluster) {
				t.Errorf("real run: %v, want ErrNoCluster", err)
			}
		})
	}
}
