package keycloak_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-sh/ferry/internal/fakekeycloak"
	"github.com/ferry-sh/ferry/internal/kubetest"
	"github.com/ferry-sh/ferry/internal/modtest"
	"github.com/ferry-sh/ferry/internal/sshtest"
	"github.com/ferry-sh/ferry/modules"
	_ "github.com/ferry-sh/ferry/modules/all" // the modules the tests run
	"github.com/ferry-sh/ferry/runner"
)

// keycloakSite is the simulated site for keycloak_user: a real kube-apiserver
// holding keycloak-secrets, reached over a real sshd host, and a fake
// Keycloak per test.
type keycloakSite struct {
	cluster    *kubetest.Cluster
	ssh        *sshtest.Server
	conn       modules.Conn
	kubeconfig string
}

func startKeycloakSite(t *testing.T) *keycloakSite {
	t.Helper()
	site := &keycloakSite{cluster: kubetest.Start(t), ssh: sshtest.Start(t, sshtest.Options{Hosts: 1})}
	site.kubeconfig = modtest.WriteKubeconfig(t, site.cluster)
	site.conn = modtest.SSHConnTo(t, site.ssh)
	return site
}

// adminSecret creates a namespace holding keycloak-secrets with the
// administrator's password (and username, when not empty) and returns it.
func (site *keycloakSite) adminSecret(t *testing.T, username, password string) string {
	t.Helper()
	ns := site.cluster.Namespace(t)
	data := map[string][]byte{"KEYCLOAK_PASSWORD": []byte(password)}
	if username != "" {
		data["KEYCLOAK_USER"] = []byte(username)
	}
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "keycloak-secrets"}, Data: data}
	if _, err := site.cluster.Clientset().CoreV1().Secrets(ns).Create(context.Background(), sec, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return ns
}

// host is the SSH host as a module sees it; the secrets it registers are
// collected.
func (site *keycloakSite) host(check bool) (*modules.Host, *secretLog) {
	secrets := &secretLog{}
	return &modules.Host{Name: "node", Conn: modules.Seal(site.conn), Check: check, Cache: &sync.Map{}, Vars: modtest.Vars{}, Secret: secrets.add}, secrets
}

type secretLog struct {
	mu     sync.Mutex
	values []string
}

func (l *secretLog) add(v string) { l.mu.Lock(); l.values = append(l.values, v); l.mu.Unlock() }

func (l *secretLog) has(v string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.values {
		if s == v {
			return true
		}
	}
	return false
}

// args are the module arguments for fk, with the admin secret in ns; extra
// overrides them (a nil value removes one).
func (site *keycloakSite) args(fk *fakekeycloak.Server, ns string, extra map[string]any) map[string]any {
	a := map[string]any{
		"url": fk.URL, "ca_file": fk.CAFile, "kubeconfig": site.kubeconfig,
		"admin_secret": map[string]any{"namespace": ns},
		"username":     "alice", "password": "alice-Pa55-word",
	}
	return modtest.WithArgs(a, extra)
}

// site starts a fake Keycloak and a namespace holding its admin password.
func (site *keycloakSite) keycloak(t *testing.T, opts fakekeycloak.Options) (*fakekeycloak.Server, string) {
	t.Helper()
	fk := fakekeycloak.Start(t, opts)
	return fk, site.adminSecret(t, "", fk.AdminPassword)
}

func TestKeycloakUser(t *testing.T) {
	site := startKeycloakSite(t)
	t.Run("create, then nothing to do", site.testCreateThenIdempotent)
	t.Run("existing user missing a role", site.testMissingRole)
	t.Run("update_password", site.testUpdatePassword)
	t.Run("409 race", site.testCreateRace)
	t.Run("path prefix", site.testPathPrefix)
	t.Run("token expiry", site.testTokenExpiry)
	t.Run("admin credentials", site.testAdminCredentials)
	t.Run("missing realm, client or role", site.testMissingRealmClientRole)
	t.Run("check mode", site.testCheckMode)
	t.Run("TLS trust", site.testTLSTrust)
	t.Run("dial via host", site.testDialViaHost)
	t.Run("node address from the cluster", site.testNodeAddressFromCluster)
	t.Run("409 for the email", site.testEmailConflict)
	t.Run("exact search ignored", site.testExactIgnored)
	t.Run("passwords never in playbook output", site.testPlaybookOutput)
}

func (site *keycloakSite) testCreateThenIdempotent(t *testing.T) {
	fk, ns := site.keycloak(t, fakekeycloak.Options{Prefix: "/auth"})
	h, secrets := site.host(false)
	raw := site.args(fk, ns, map[string]any{"username": "Alice", "email": "alice@example.com", "first_name": "Alice"})
	res, changes := modtest.MustRun(t, h, "keycloak_user", raw)
	user, ok := fk.User("alice")
	if !ok || user.Username != "alice" || user.Email != "alice@example.com" || user.FirstName != "Alice" || !user.Enabled {
		t.Fatalf("user in Keycloak: %+v (found %v); want alice, lower-cased, with email and first name, enabled", user, ok)
	}
	if !fk.CheckPassword("dash", "alice", "alice-Pa55-word") {
		t.Error("the user's password was not set")
	}
	if got := fk.ClientRoles("alice"); !reflect.DeepEqual(got, []string{"admin", "licensed_user"}) {
		t.Errorf("client roles %v, want [admin licensed_user]", got)
	}
	want := map[string]any{"user_id": user.ID, "username": "alice", "created": true, "password_set": true,
		"roles_added": []any{"admin", "licensed_user"}, "keycloak_base": fk.URL + "/auth", "reached_via": "direct"}
	if !reflect.DeepEqual(res.Data, want) {
		t.Errorf("data %v\nwant %v", res.Data, want)
	}
	if len(changes) != 3 {
		t.Errorf("changes %q, want create, password, roles", changes)
	}
	if !secrets.has(fk.AdminPassword) || !secrets.has("alice-Pa55-word") {
		t.Error("the admin password or the user's password was not registered as a secret")
	}

	res, changes = modtest.MustRun(t, h, "keycloak_user", raw)
	if len(changes) != 0 {
		t.Errorf("second run changed %q", changes)
	}
	if res.Data["created"] != false || res.Data["password_set"] != false || len(res.Data["roles_added"].([]any)) != 0 || res.Data["user_id"] != user.ID {
		t.Errorf("second run data %v", res.Data)
	}
}

func (site *keycloakSite) testMissingRole(t *testing.T) {
	fk, ns := site.keycloak(t, fakekeycloak.Options{})
	id := fk.AddUser("bob", "bob-old-pass", "admin")
	h, _ := site.host(false)
	res, changes := modtest.MustRun(t, h, "keycloak_user", site.args(fk, ns, map[string]any{"username": "bob", "password": "bob-new-pass"}))
	if got := fk.ClientRoles("bob"); !reflect.DeepEqual(got, []string{"admin", "licensed_user"}) {
		t.Errorf("roles %v", got)
	}
	if !reflect.DeepEqual(res.Data["roles_added"], []any{"licensed_user"}) || res.Data["user_id"] != id || res.Data["created"] != false {
		t.Errorf("data %v", res.Data)
	}
	if len(changes) != 1 || !strings.Contains(changes[0], "licensed_user") {
		t.Errorf("changes %q, want only the added role", changes)
	}
	if !fk.CheckPassword("dash", "bob", "bob-old-pass") {
		t.Error("update_password on_create changed an existing user's password")
	}
}

func (site *keycloakSite) testUpdatePassword(t *testing.T) {
	cases := []struct {
		name        string
		probe       bool
		current     string
		wantChanged bool
	}{
		{"always, no probe, same password", false, "carol-pass", true},
		{"always, probe, same password", true, "carol-pass", false},
		{"always, probe, other password", true, "carol-old", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fk, ns := site.keycloak(t, fakekeycloak.Options{})
			fk.AddUser("carol", tc.current, "admin", "licensed_user")
			h, _ := site.host(false)
			res, changes := modtest.MustRun(t, h, "keycloak_user", site.args(fk, ns, map[string]any{
				"username": "carol", "password": "carol-pass", "update_password": "always", "password_probe": tc.probe}))
			if (len(changes) > 0) != tc.wantChanged || res.Data["password_set"] != tc.wantChanged {
				t.Errorf("changes %q, password_set %v; want changed %v", changes, res.Data["password_set"], tc.wantChanged)
			}
			if !fk.CheckPassword("dash", "carol", "carol-pass") {
				t.Error("the password is not the one given")
			}
		})
	}
}

func (site *keycloakSite) testCreateRace(t *testing.T) {
	fk, ns := site.keycloak(t, fakekeycloak.Options{})
	var otherID string
	fk.OnceBefore(fakekeycloak.OpCreateUser, func() { otherID = fk.AddUser("dave", "set-by-the-other", "admin") })
	h, _ := site.host(false)
	res, _ := modtest.MustRun(t, h, "keycloak_user", site.args(fk, ns, map[string]any{"username": "dave", "password": "dave-pass"}))
	if res.Data["user_id"] != otherID || res.Data["created"] != false {
		t.Errorf("data %v; want the id of the user created concurrently (%s), created false", res.Data, otherID)
	}
	if got := fk.ClientRoles("dave"); !reflect.DeepEqual(got, []string{"admin", "licensed_user"}) {
		t.Errorf("roles %v", got)
	}
	if !fk.CheckPassword("dash", "dave", "set-by-the-other") {
		t.Error("on_create set the password of a user this run did not create")
	}
	if !strings.Contains(res.Msg, "409") {
		t.Errorf("message %q does not say the user was created concurrently", res.Msg)
	}
}

func (site *keycloakSite) testPathPrefix(t *testing.T) {
	cases := []struct {
		serve, ask string
		wantErr    string
	}{
		{"/auth", "auto", ""},
		{"", "auto", ""},
		{"/auth", "/auth", ""},
		{"", "/auth", "answered 404; set path_prefix: auto"},
		{"/auth", "", "answered 404; set path_prefix: auto"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("serve %q ask %q", tc.serve, tc.ask), func(t *testing.T) {
			fk, ns := site.keycloak(t, fakekeycloak.Options{Prefix: tc.serve})
			h, _ := site.host(false)
			res, _, err := modtest.Run(t, h, "keycloak_user", site.args(fk, ns, map[string]any{"path_prefix": tc.ask}))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Data["keycloak_base"] != fk.URL+tc.serve {
				t.Errorf("keycloak_base %v, want %s", res.Data["keycloak_base"], fk.URL+tc.serve)
			}
			if _, ok := fk.User("alice"); !ok {
				t.Error("no user created")
			}
		})
	}
}

func (site *keycloakSite) testTokenExpiry(t *testing.T) {
	t.Run("expired in flight: one re-login and retry", func(t *testing.T) {
		fk, ns := site.keycloak(t, fakekeycloak.Options{TokenLifetime: time.Minute})
		fk.OnceBefore(fakekeycloak.OpResetPassword, func() { fk.Advance(2 * time.Minute) })
		h, _ := site.host(false)
		modtest.MustRun(t, h, "keycloak_user", site.args(fk, ns, nil))
		if !fk.CheckPassword("dash", "alice", "alice-Pa55-word") || len(fk.ClientRoles("alice")) != 2 {
			t.Error("the run did not finish after the token expired")
		}
		if got := fk.Logins("master"); got != 2 {
			t.Errorf("%d admin logins, want 2 (the first, and one after the 401)", got)
		}
	})
	t.Run("revoked in flight", func(t *testing.T) {
		fk, ns := site.keycloak(t, fakekeycloak.Options{})
		fk.OnceBefore(fakekeycloak.OpAddRoleMappings, fk.RevokeTokens)
		h, _ := site.host(false)
		modtest.MustRun(t, h, "keycloak_user", site.args(fk, ns, nil))
		if len(fk.ClientRoles("alice")) != 2 {
			t.Error("roles not added after the token was revoked")
		}
	})
	t.Run("short-lived tokens renewed before each step", func(t *testing.T) {
		fk, ns := site.keycloak(t, fakekeycloak.Options{TokenLifetime: 5 * time.Second})
		h, _ := site.host(false)
		modtest.MustRun(t, h, "keycloak_user", site.args(fk, ns, nil))
		admin := 0
		for _, r := range fk.Requests() {
			if strings.Contains(r.Path, "/admin/realms/") {
				admin++
			}
		}
		if got := fk.Logins("master"); got != admin {
			t.Errorf("%d admin logins for %d admin calls; a token with under 10 s left must be renewed before each", got, admin)
		}
	})
}

func (site *keycloakSite) testAdminCredentials(t *testing.T) {
	fk := fakekeycloak.Start(t, fakekeycloak.Options{AdminUser: "kcroot"})
	fk.AddMasterUser("helpdesk", "helpdesk-pass", false)
	cases := []struct {
		name, user, password string
		wantErr              []string
	}{
		{"wrong password", "kcroot", "not-the-password", []string{"invalid_grant", "KEYCLOAK_PASSWORD", "keycloak-secrets"}},
		{"default username admin is not the admin", "", fk.AdminPassword, []string{"invalid_grant", "realm master"}},
		{"username from KEYCLOAK_USER", "kcroot", fk.AdminPassword, nil},
		{"not an administrator: 403", "helpdesk", "helpdesk-pass", []string{"403", "manage-users"}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ns := site.adminSecret(t, tc.user, tc.password)
			h, secrets := site.host(false)
			_, _, err := modtest.Run(t, h, "keycloak_user", site.args(fk, ns, map[string]any{"username": fmt.Sprintf("user%d", i)}))
			checkErr(t, err, tc.wantErr)
			if err != nil && strings.Contains(err.Error(), tc.password) {
				t.Errorf("the error shows the admin password: %v", err)
			}
			if tc.user != "" && !secrets.has(tc.user) {
				t.Errorf("the admin username from the Secret was not registered as a secret")
			}
		})
	}
	t.Run("no secret", func(t *testing.T) {
		h, _ := site.host(false)
		_, _, err := modtest.Run(t, h, "keycloak_user", site.args(fk, site.cluster.Namespace(t), nil))
		checkErr(t, err, []string{"keycloak-secrets not found", "is Dash Enterprise installed"})
	})
}

// checkErr wants an error holding every part of want, or none when want is
// empty.
func checkErr(t *testing.T, err error, want []string) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("no error; want one saying %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
}

func (site *keycloakSite) testMissingRealmClientRole(t *testing.T) {
	cases := []struct {
		name    string
		opts    fakekeycloak.Options
		extra   map[string]any
		wantErr []string
	}{
		{"realm", fakekeycloak.Options{}, map[string]any{"realm": "dahs"}, []string{`no realm "dahs"`, "Realm not found."}},
		{"client", fakekeycloak.Options{ClientID: "dash-app"}, nil, []string{`no client "dash"`, "client_id"}},
		{"role", fakekeycloak.Options{ClientRoles: []string{"admin", "viewer"}}, nil, []string{`no role "licensed_user"`, "client_roles"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fk, ns := site.keycloak(t, tc.opts)
			h, _ := site.host(false)
			_, _, err := modtest.Run(t, h, "keycloak_user", site.args(fk, ns, tc.extra))
			checkErr(t, err, tc.wantErr)
			if users := fk.Users(); len(users) != 0 {
				t.Errorf("users %v were created before the problem was found", users)
			}
		})
	}
}

func (site *keycloakSite) testCheckMode(t *testing.T) {
	cases := []struct {
		name      string
		existing  []string // roles of an existing user; nil: no user
		wantPlan  []string
		wantRoles []any
	}{
		{"new user", nil, []string{"create user alice", "set the password of user alice", "add roles [admin licensed_user]"}, []any{"admin", "licensed_user"}},
		{"user missing a role", []string{"licensed_user"}, []string{"add roles [admin]"}, []any{"admin"}},
		{"nothing to do", []string{"admin", "licensed_user"}, nil, []any{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fk, ns := site.keycloak(t, fakekeycloak.Options{})
			if tc.existing != nil {
				fk.AddUser("alice", "old-pass", tc.existing...)
			}
			h, _ := site.host(true)
			res, plan := modtest.MustRun(t, h, "keycloak_user", site.args(fk, ns, nil))
			if len(plan) != len(tc.wantPlan) {
				t.Fatalf("plan %q, want %q", plan, tc.wantPlan)
			}
			for i, w := range tc.wantPlan {
				if !strings.HasPrefix(plan[i], w) {
					t.Errorf("plan[%d] = %q, want %q...", i, plan[i], w)
				}
			}
			if !reflect.DeepEqual(res.Data["roles_added"], tc.wantRoles) {
				t.Errorf("roles_added %v, want %v", res.Data["roles_added"], tc.wantRoles)
			}
			for _, r := range fk.Requests() {
				if r.Method != "GET" && r.Op != fakekeycloak.OpToken {
					t.Errorf("check mode sent %s %s", r.Method, r.Path)
				}
			}
			if tc.existing == nil {
				if _, ok := fk.User("alice"); ok {
					t.Error("check mode created the user")
				}
			} else if !reflect.DeepEqual(fk.ClientRoles("alice"), tc.existing) || !fk.CheckPassword("dash", "alice", "old-pass") {
				t.Error("check mode changed the user")
			}
		})
	}
}

func (site *keycloakSite) testTLSTrust(t *testing.T) {
	fk, ns := site.keycloak(t, fakekeycloak.Options{})
	other := fakekeycloak.Start(t, fakekeycloak.Options{})
	cases := []struct {
		name    string
		caFile  any
		wantErr []string
	}{
		{"no ca_file", nil, []string{"does not trust", "give ca_file"}},
		{"another CA", other.CAFile, []string{"neither ca_file", other.CAFile}},
		{"not a certificate", writeTemp(t, "junk.pem", "not a PEM file"), []string{"holds no PEM certificate"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, _ := site.host(false)
			_, _, err := modtest.Run(t, h, "keycloak_user", site.args(fk, ns, map[string]any{"ca_file": tc.caFile}))
			checkErr(t, err, tc.wantErr)
		})
	}
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// testDialViaHost: auth-<server> resolves nowhere, so the module reaches the
// fake through the SSH host, which connects to the fake's address with the
// auth- name for TLS.
func (site *keycloakSite) testDialViaHost(t *testing.T) {
	fk, ns := site.keycloak(t, fakekeycloak.Options{Server: "dash.invalid", Prefix: "/auth"})
	cases := []struct {
		name    string
		extra   map[string]any
		wantErr []string
		wantVia string
	}{
		{"auto", map[string]any{}, nil, "through node to " + fk.Addr + " (auth-dash.invalid does not resolve on this machine)"},
		{"true", map[string]any{"dial_via_host": true}, nil, "through node to " + fk.Addr + " (dial_via_host: true)"},
		{"false", map[string]any{"dial_via_host": false}, []string{"auth-dash.invalid does not resolve on this machine", "dial_via_host: true"}, ""},
		{"nothing listening", map[string]any{"node_address": "127.0.0.1:1"}, []string{"through node", "127.0.0.1:1", "node_address"}, ""},
	}
	for i, tc := range cases {
		username := fmt.Sprintf("via%d", i)
		t.Run(tc.name, func(t *testing.T) {
			extra := map[string]any{"url": nil, "server": "dash.invalid", "node_address": fk.Addr, "username": username}
			for k, v := range tc.extra {
				extra[k] = v
			}
			h, _ := site.host(false)
			res, _, err := modtest.Run(t, h, "keycloak_user", site.args(fk, ns, extra))
			checkErr(t, err, tc.wantErr)
			if err != nil {
				return
			}
			if res.Data["reached_via"] != tc.wantVia || res.Data["keycloak_base"] != "https://auth-dash.invalid/auth" {
				t.Errorf("reached_via %q, keycloak_base %q", res.Data["reached_via"], res.Data["keycloak_base"])
			}
			if len(fk.ClientRoles(username)) != 2 {
				t.Error("the user did not get its roles")
			}
		})
	}
}

// testNodeAddressFromCluster: without node_address the host dials the
// node's InternalIP on 443, read from the cluster (a loopback address where
// nothing listens on 443, so the error names the address tried).
func (site *keycloakSite) testNodeAddressFromCluster(t *testing.T) {
	nodeIP := loopbackWith443Closed(t)
	fk, ns := site.keycloak(t, fakekeycloak.Options{Server: "dash.invalid"})
	args := site.args(fk, ns, map[string]any{"url": nil, "server": "dash.invalid", "timeout": 5})
	h, _ := site.host(false)
	_, _, err := modtest.Run(t, h, "keycloak_user", args)
	checkErr(t, err, []string{"no node of the cluster has an InternalIP", "set node_address"})

	node := site.cluster.AddNode(t, "de-node", 110, true)
	node.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: "de-node"}, {Type: corev1.NodeInternalIP, Address: nodeIP}}
	if _, err := site.cluster.Clientset().CoreV1().Nodes().UpdateStatus(context.Background(), node, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	h, _ = site.host(false)
	_, _, err = modtest.Run(t, h, "keycloak_user", args)
	checkErr(t, err, []string{"connecting from the host to " + nodeIP + ":443", "node_address"})
}

// loopbackWith443Closed is a loopback address (127.0.0.2 to .254, the
// whole 127/8 is the loopback interface) where a connection to port 443 is
// refused: 127.0.0.1:443 may be taken by whatever else runs on the machine.
func loopbackWith443Closed(t *testing.T) string {
	t.Helper()
	start := rand.IntN(253)
	for i := range 253 {
		ip := fmt.Sprintf("127.0.0.%d", 2+(start+i)%253)
		c, err := net.DialTimeout("tcp", net.JoinHostPort(ip, "443"), 5*time.Second)
		if err == nil {
			c.Close()
			continue
		}
		if errors.Is(err, syscall.ECONNREFUSED) {
			return ip
		}
	}
	t.Fatal("every loopback address from 127.0.0.2 to 127.0.0.254 has port 443 open, or does not refuse")
	return ""
}

// testEmailConflict: a 409 for the email is not "exists": it fails and says
// which email collides.
func (site *keycloakSite) testEmailConflict(t *testing.T) {
	fk, ns := site.keycloak(t, fakekeycloak.Options{})
	h, _ := site.host(false)
	modtest.MustRun(t, h, "keycloak_user", site.args(fk, ns, map[string]any{"username": "erin", "email": "ops@example.com"}))
	_, _, err := modtest.Run(t, h, "keycloak_user", site.args(fk, ns, map[string]any{"username": "frank", "email": "OPS@example.com"}))
	checkErr(t, err, []string{"cannot create user frank", "has the email OPS@example.com", "User exists with same email"})
	if _, ok := fk.User("frank"); ok {
		t.Error("frank was created")
	}
}

// testExactIgnored: old Keycloak returns substring matches for an exact
// search; the module must not take "alicex" for "alice".
func (site *keycloakSite) testExactIgnored(t *testing.T) {
	fk, ns := site.keycloak(t, fakekeycloak.Options{IgnoreExact: true})
	fk.AddUser("alicex", "x-pass")
	fk.AddUser("malice", "m-pass", "admin")
	h, _ := site.host(false)
	res, _ := modtest.MustRun(t, h, "keycloak_user", site.args(fk, ns, nil))
	if res.Data["created"] != true {
		t.Errorf("alice was not created: a substring match was taken for her (data %v)", res.Data)
	}
	if got := fk.ClientRoles("alicex"); len(got) != 0 {
		t.Errorf("alicex got roles %v", got)
	}
	if len(fk.ClientRoles("alice")) != 2 {
		t.Error("alice has not her roles")
	}
}

// testPlaybookOutput runs the module in a playbook through the runner at
// -vvvv, text and JSON, real and check mode, a success and a failure: no
// password appears anywhere.
func (site *keycloakSite) testPlaybookOutput(t *testing.T) {
	fk, ns := site.keycloak(t, fakekeycloak.Options{Prefix: "/auth"})
	userPassword := "Us3r-Secret-Pa55"
	dir := t.TempDir()
	playbook := fmt.Sprintf(`
- hosts: servers
  gather_facts: false
  tasks:
    - name: Dash Enterprise admin in Keycloak
      keycloak_user:
        url: %q
        ca_file: %q
        kubeconfig: %q
        admin_secret: {namespace: %q}
        username: deadmin
        password: "{{ de_password }}"
        update_password: always
      register: kc
    - debug: {var: kc}
    - name: a user whose role does not exist
      keycloak_user:
        url: %q
        ca_file: %q
        kubeconfig: %q
        admin_secret: {namespace: %q}
        username: other
        password: "{{ de_password }}"
        client_roles: [nope]
`, fk.URL, fk.CAFile, site.kubeconfig, ns, fk.URL, fk.CAFile, site.kubeconfig, ns)
	pb := writeFileIn(t, dir, "site.yml", playbook)
	var inv strings.Builder
	inv.WriteString("[servers]\nvm")
	for k, v := range site.ssh.Vars(0) {
		fmt.Fprintf(&inv, " %s=%v", k, v)
	}
	inv.WriteString("\n")
	hosts := writeFileIn(t, dir, "hosts.ini", inv.String())
	for _, output := range []string{"text", "json"} {
		for _, check := range []bool{true, false} {
			var stdout, stderr bytes.Buffer
			s := &runner.Session{Playbook: pb, Inventories: []string{hosts}, Stdout: &stdout, Stderr: &stderr, Output: output,
				ExtraVars: []string{"de_password=" + userPassword}}
			s.Verbosity, s.Check = 4, check
			code := s.Run(context.Background())
			all := stdout.String() + stderr.String()
			if code != 2 || !strings.Contains(all, "deadmin") || !strings.Contains(all, `no role \"nope\"`) && !strings.Contains(all, `no role "nope"`) {
				t.Fatalf("%s check=%v: exit %d, want 2 (the second task fails on its role); output:\n%s", output, check, code, all)
			}
			for _, secret := range []string{userPassword, fk.AdminPassword} {
				if strings.Contains(all, secret) {
					t.Errorf("%s check=%v: the output shows a password:\n%s", output, check, all)
				}
			}
		}
	}
	if !fk.CheckPassword("dash", "deadmin", userPassword) || len(fk.ClientRoles("deadmin")) != 2 {
		t.Error("the playbook did not converge the user")
	}
}

func writeFileIn(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
