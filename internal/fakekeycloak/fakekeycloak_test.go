package fakekeycloak_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/Nerzal/gocloak/v13"

	"github.com/ferry-sh/ferry/internal/fakekeycloak"
)

// client is a gocloak client for base that trusts the server's CA.
func client(t *testing.T, srv *fakekeycloak.Server, base string) *gocloak.GoCloak {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(srv.CACert) {
		t.Fatal("CACert is not PEM")
	}
	kc := gocloak.NewClient(base)
	kc.RestyClient().SetTLSClientConfig(&tls.Config{RootCAs: pool})
	return kc
}

func login(t *testing.T, kc *gocloak.GoCloak, srv *fakekeycloak.Server) string {
	t.Helper()
	jwt, err := kc.LoginAdmin(context.Background(), srv.AdminUser, srv.AdminPassword, "master")
	if err != nil {
		t.Fatalf("admin login: %v", err)
	}
	return jwt.AccessToken
}

// apiError returns the status and message of a gocloak error.
func apiError(t *testing.T, err error) (int, string) {
	t.Helper()
	var apiErr *gocloak.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("want a *gocloak.APIError, got %T %v", err, err)
	}
	return apiErr.Code, apiErr.Message
}

// TestUserLifecycle drives the calls ferry makes, in its order, with gocloak,
// under both context paths.
func TestUserLifecycle(t *testing.T) {
	for _, prefix := range []string{"", "/auth"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			ctx := context.Background()
			srv := fakekeycloak.Start(t, fakekeycloak.Options{Prefix: prefix})
			kc := client(t, srv, srv.Base)
			token := login(t, kc, srv)

			users, err := kc.GetUsers(ctx, token, "dash", gocloak.GetUsersParams{Username: gocloak.StringP("alice"), Exact: gocloak.BoolP(true)})
			if err != nil || len(users) != 0 {
				t.Fatalf("search before create: %v %v", users, err)
			}
			id, err := kc.CreateUser(ctx, token, "dash", gocloak.User{Username: gocloak.StringP("Alice"), Enabled: gocloak.BoolP(true)})
			if err != nil {
				t.Fatal(err)
			}
			stored, ok := srv.User("alice")
			if !ok || stored.ID != id || stored.Username != "alice" {
				t.Errorf("created id %q, stored %+v (found %v); want the id from Location and a lower-case name", id, stored, ok)
			}
			_, err = kc.CreateUser(ctx, token, "dash", gocloak.User{Username: gocloak.StringP("ALICE")})
			if code, msg := apiError(t, err); code != http.StatusConflict || msg != "409 Conflict: User exists with same username" {
				t.Errorf("duplicate create: %d %q", code, msg)
			}

			if err := kc.SetPassword(ctx, token, id, "dash", "pw-1", false); err != nil {
				t.Fatal(err)
			}
			if !srv.CheckPassword("dash", "alice", "pw-1") || srv.CheckPassword("dash", "alice", "pw-2") {
				t.Error("CheckPassword does not follow the password set")
			}
			if _, err := kc.LoginAdmin(ctx, "alice", "pw-1", "dash"); err != nil {
				t.Errorf("the user cannot log in to its realm with its password: %v", err)
			}

			clients, err := kc.GetClients(ctx, token, "dash", gocloak.GetClientsParams{ClientID: gocloak.StringP("dash")})
			if err != nil || len(clients) != 1 || *clients[0].ClientID != "dash" {
				t.Fatalf("clients: %v %v", clients, err)
			}
			cid := *clients[0].ID
			admin, err := kc.GetClientRole(ctx, token, "dash", cid, "admin")
			if err != nil || *admin.Name != "admin" || !*admin.ClientRole {
				t.Fatalf("role admin: %+v %v", admin, err)
			}
			if err := kc.AddClientRolesToUser(ctx, token, "dash", cid, id, []gocloak.Role{*admin}); err != nil {
				t.Fatal(err)
			}
			direct, err := kc.GetClientRolesByUserID(ctx, token, "dash", cid, id)
			if err != nil || len(direct) != 1 || *direct[0].Name != "admin" {
				t.Errorf("direct mappings: %v %v", direct, err)
			}
			effective, err := kc.GetCompositeClientRolesByUserID(ctx, token, "dash", cid, id)
			if err != nil || len(effective) != 2 {
				t.Errorf("effective mappings (admin + default viewer): %v %v", effective, err)
			}
			if got := srv.ClientRoles("alice"); !reflect.DeepEqual(got, []string{"admin"}) {
				t.Errorf("ClientRoles = %v", got)
			}
		})
	}
}

// TestErrors checks the status codes and bodies as gocloak reports them.
func TestErrors(t *testing.T) {
	ctx := context.Background()
	srv := fakekeycloak.Start(t, fakekeycloak.Options{Prefix: "/auth", ClientRoles: []string{"admin"}})
	kc := client(t, srv, srv.Base)
	token := login(t, kc, srv)
	clients, err := kc.GetClients(ctx, token, "dash", gocloak.GetClientsParams{ClientID: gocloak.StringP("dash")})
	if err != nil || len(clients) != 1 {
		t.Fatalf("clients: %v %v", clients, err)
	}
	cid := *clients[0].ID
	srv.AddMasterUser("viewer", "viewer-pw", false)
	viewer, err := kc.LoginAdmin(ctx, "viewer", "viewer-pw", "master")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		call func() error
		code int
		msg  string
	}{
		{"wrong admin password", func() error { _, err := kc.LoginAdmin(ctx, srv.AdminUser, "wrong", "master"); return err },
			401, "401 Unauthorized: invalid_grant: Invalid user credentials"},
		{"unknown user", func() error { _, err := kc.LoginAdmin(ctx, "nobody", "x", "master"); return err },
			401, "401 Unauthorized: invalid_grant: Invalid user credentials"},
		{"token for an unknown realm", func() error { _, err := kc.LoginAdmin(ctx, "admin", "x", "nope"); return err },
			404, "404 Not Found: Realm does not exist"},
		{"admin API of an unknown realm", func() error { _, err := kc.GetUsers(ctx, token, "nope", gocloak.GetUsersParams{}); return err },
			404, "404 Not Found: Realm not found."},
		{"unknown role", func() error { _, err := kc.GetClientRole(ctx, token, "dash", cid, "licensed_user"); return err },
			404, "404 Not Found: Could not find role"},
		{"unknown client", func() error { _, err := kc.GetClientRole(ctx, token, "dash", "no-such-id", "admin"); return err },
			404, "404 Not Found: Could not find client"},
		{"invalid token", func() error { _, err := kc.GetUsers(ctx, "not-a-token", "dash", gocloak.GetUsersParams{}); return err },
			401, "401 Unauthorized: HTTP 401 Unauthorized"},
		{"not an administrator", func() error {
			_, err := kc.GetUsers(ctx, viewer.AccessToken, "dash", gocloak.GetUsersParams{})
			return err
		},
			403, "403 Forbidden: HTTP 403 Forbidden"},
		{"password of an unknown user", func() error { return kc.SetPassword(ctx, token, "no-such-id", "dash", "x", false) },
			404, "404 Not Found: User not found"},
		{"empty password", func() error {
			id, err := kc.CreateUser(ctx, token, "dash", gocloak.User{Username: gocloak.StringP("emptypw")})
			if err != nil {
				return err
			}
			return kc.SetPassword(ctx, token, id, "dash", "", false)
		}, 400, "400 Bad Request: Empty password"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, msg := apiError(t, tc.call())
			if code != tc.code || msg != tc.msg {
				t.Errorf("got %d %q, want %d %q", code, msg, tc.code, tc.msg)
			}
		})
	}
}

// TestTokenEndpointClientAndGrant: legacy Keycloak checks the grant type
// before the client, and answers a client no authenticator identified with
// 400 invalid_client (CONTRACT.md); admin-cli's password grant succeeds.
func TestTokenEndpointClientAndGrant(t *testing.T) {
	ctx := context.Background()
	srv := fakekeycloak.Start(t, fakekeycloak.Options{Prefix: "/auth"})
	kc := client(t, srv, srv.Base)
	for _, tc := range []struct {
		client, grant string
		code          int
		msg           string
	}{
		{"no-such-client", "password", 400, "400 Bad Request: invalid_client: Invalid client credentials"},
		{"no-such-client", "magic", 400, "400 Bad Request: unsupported_grant_type: Unsupported grant_type"},
		{"admin-cli", "magic", 400, "400 Bad Request: unsupported_grant_type: Unsupported grant_type"},
	} {
		_, err := kc.GetToken(ctx, "master", gocloak.TokenOptions{ClientID: gocloak.StringP(tc.client), GrantType: gocloak.StringP(tc.grant),
			Username: gocloak.StringP(srv.AdminUser), Password: gocloak.StringP(srv.AdminPassword)})
		if code, msg := apiError(t, err); code != tc.code || msg != tc.msg {
			t.Errorf("client %s, grant %s: got %d %q, want %d %q", tc.client, tc.grant, code, msg, tc.code, tc.msg)
		}
	}
	jwt, err := kc.GetToken(ctx, "master", gocloak.TokenOptions{ClientID: gocloak.StringP("admin-cli"), GrantType: gocloak.StringP("password"),
		Username: gocloak.StringP(srv.AdminUser), Password: gocloak.StringP(srv.AdminPassword)})
	if err != nil || jwt.ExpiresIn != 60 {
		t.Errorf("admin-cli login: %v, expires_in %v, want the master realm's 60 s", err, jwt)
	}
}

// TestUnknownPathIsRESTEasys404: under /auth an unknown path is RESTEasy's
// NotFoundException, which names the full request URI, query included.
func TestUnknownPathIsRESTEasys404(t *testing.T) {
	srv := fakekeycloak.Start(t, fakekeycloak.Options{Prefix: "/auth"})
	resp, err := httpClient(t, srv).Get(srv.Base + "/admin/nothing?first=0")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	want := "RESTEASY003210: Could not find resource for full path: " + srv.Base + "/admin/nothing?first=0"
	if resp.StatusCode != http.StatusNotFound || body["error"] != want {
		t.Errorf("got %d %q, want 404 %q", resp.StatusCode, body["error"], want)
	}
}

// TestWrongPrefixIs404: a client built for the other context path gets 404
// on every call, as against a real server.
func TestWrongPrefixIs404(t *testing.T) {
	for _, tc := range []struct{ serve, use string }{{"", "/auth"}, {"/auth", ""}} {
		srv := fakekeycloak.Start(t, fakekeycloak.Options{Prefix: tc.serve})
		kc := client(t, srv, srv.URL+tc.use)
		_, err := kc.LoginAdmin(context.Background(), srv.AdminUser, srv.AdminPassword, "master")
		if code, _ := apiError(t, err); code != http.StatusNotFound {
			t.Errorf("served at %q, asked at %q: status %d, want 404", tc.serve, tc.use, code)
		}
		resp, err := httpClient(t, srv).Get(srv.URL + tc.use + "/realms/master/.well-known/openid-configuration")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("discovery at the wrong prefix: %d", resp.StatusCode)
		}
		resp, err = httpClient(t, srv).Get(srv.Base + "/realms/master/.well-known/openid-configuration")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("discovery at the right prefix: %d", resp.StatusCode)
		}
	}
}

func httpClient(t *testing.T, srv *fakekeycloak.Server) *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(srv.CACert)
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

// TestTokenExpiryAndRevocation: a token is refused once the server's clock
// passes its lifetime, or once tokens are revoked; a new login works.
func TestTokenExpiryAndRevocation(t *testing.T) {
	ctx := context.Background()
	srv := fakekeycloak.Start(t, fakekeycloak.Options{TokenLifetime: 30 * time.Second})
	kc := client(t, srv, srv.Base)
	jwt, err := kc.LoginAdmin(ctx, srv.AdminUser, srv.AdminPassword, "master")
	if err != nil {
		t.Fatal(err)
	}
	if jwt.ExpiresIn != 30 || strings.Count(jwt.AccessToken, ".") != 2 {
		t.Errorf("token: expires_in %d, %q; want 30 and a JWT", jwt.ExpiresIn, jwt.AccessToken)
	}
	steps := []struct {
		name   string
		before func()
		want   int
	}{
		{"fresh", func() {}, 0},
		{"29 s later", func() { srv.Advance(29 * time.Second) }, 0},
		{"31 s later", func() { srv.Advance(2 * time.Second) }, http.StatusUnauthorized},
	}
	for _, st := range steps {
		st.before()
		_, err := kc.GetUsers(ctx, jwt.AccessToken, "dash", gocloak.GetUsersParams{})
		code := 0
		if err != nil {
			code, _ = apiError(t, err)
		}
		if code != st.want {
			t.Errorf("%s: status %d, want %d", st.name, code, st.want)
		}
	}
	token := login(t, kc, srv)
	srv.RevokeTokens()
	_, err = kc.GetUsers(ctx, token, "dash", gocloak.GetUsersParams{})
	if code, _ := apiError(t, err); code != http.StatusUnauthorized {
		t.Errorf("revoked token: %d, want 401", code)
	}
	if srv.Logins("master") != 2 {
		t.Errorf("Logins = %d, want 2", srv.Logins("master"))
	}
}

// TestExactSearch: exact=true matches the whole name unless IgnoreExact,
// where it matches substrings as old Keycloak does.
func TestExactSearch(t *testing.T) {
	for _, tc := range []struct {
		ignore bool
		want   []string
	}{{false, []string{"alice"}}, {true, []string{"alice", "alicex", "malice"}}} {
		srv := fakekeycloak.Start(t, fakekeycloak.Options{IgnoreExact: tc.ignore})
		for _, name := range []string{"malice", "alicex", "alice", "bob"} {
			srv.AddUser(name, "")
		}
		kc := client(t, srv, srv.Base)
		users, err := kc.GetUsers(context.Background(), login(t, kc, srv), "dash",
			gocloak.GetUsersParams{Username: gocloak.StringP("ALICE"), Exact: gocloak.BoolP(true)})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, u := range users {
			got = append(got, *u.Username)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("IgnoreExact=%v: found %v, want %v", tc.ignore, got, tc.want)
		}
	}
}

// TestTemporaryPassword: a temporary password cannot be used for a direct
// grant until it is changed.
func TestTemporaryPassword(t *testing.T) {
	ctx := context.Background()
	srv := fakekeycloak.Start(t, fakekeycloak.Options{})
	id := srv.AddUser("tmp", "")
	kc := client(t, srv, srv.Base)
	if err := kc.SetPassword(ctx, login(t, kc, srv), id, "dash", "first", true); err != nil {
		t.Fatal(err)
	}
	_, err := kc.LoginAdmin(ctx, "tmp", "first", "dash")
	if code, msg := apiError(t, err); code != 400 || msg != "400 Bad Request: invalid_grant: Account is not fully set up" {
		t.Errorf("login with a temporary password: %d %q", code, msg)
	}
	if !srv.CheckPassword("dash", "tmp", "first") {
		t.Error("the temporary password is not stored")
	}
}

// TestTLS: the certificate verifies only against CACert, for the auth-
// host name (reached by SNI at the listening address) and 127.0.0.1.
func TestTLS(t *testing.T) {
	srv := fakekeycloak.Start(t, fakekeycloak.Options{Server: "dash.corp.test"})
	if srv.Hostname != "auth-dash.corp.test" {
		t.Errorf("Hostname = %q", srv.Hostname)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(srv.CACert)
	cases := []struct {
		name string
		cfg  *tls.Config
		ok   bool
	}{
		{"no trust", &tls.Config{ServerName: srv.Hostname}, false},
		{"CA, SNI auth- name", &tls.Config{RootCAs: pool, ServerName: srv.Hostname}, true},
		{"CA, IP", &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}, true},
		{"CA, other name", &tls.Config{RootCAs: pool, ServerName: "admin-dash.corp.test"}, false},
	}
	for _, tc := range cases {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", srv.Addr, tc.cfg)
		if err == nil {
			conn.Close()
		}
		if (err == nil) != tc.ok {
			t.Errorf("%s: handshake error %v, want success %v", tc.name, err, tc.ok)
		}
	}
}

// TestOnceBeforeAndRequests: a hook runs once, before the request it waits
// for is answered; Requests records method, path and status.
func TestOnceBeforeAndRequests(t *testing.T) {
	ctx := context.Background()
	srv := fakekeycloak.Start(t, fakekeycloak.Options{Prefix: "/auth"})
	kc := client(t, srv, srv.Base)
	token := login(t, kc, srv)
	runs := 0
	srv.OnceBefore(fakekeycloak.OpCreateUser, func() { runs++; srv.AddUser("carol", "") })
	_, err := kc.CreateUser(ctx, token, "dash", gocloak.User{Username: gocloak.StringP("carol")})
	if code, _ := apiError(t, err); code != http.StatusConflict {
		t.Errorf("create after the hook made the user: %d, want 409", code)
	}
	if _, err := kc.CreateUser(ctx, token, "dash", gocloak.User{Username: gocloak.StringP("dave")}); err != nil {
		t.Errorf("second create: %v", err)
	}
	if runs != 1 {
		t.Errorf("hook ran %d times, want 1", runs)
	}
	reqs := srv.Requests()
	want := []fakekeycloak.Request{
		{Op: fakekeycloak.OpToken, Method: "POST", Path: "/auth/realms/master/protocol/openid-connect/token", Realm: "master", Status: 200},
		{Op: fakekeycloak.OpCreateUser, Method: "POST", Path: "/auth/admin/realms/dash/users", Realm: "dash", Status: 409},
		{Op: fakekeycloak.OpCreateUser, Method: "POST", Path: "/auth/admin/realms/dash/users", Realm: "dash", Status: 201},
	}
	if !reflect.DeepEqual(reqs, want) {
		t.Errorf("Requests = %+v\nwant %+v", reqs, want)
	}
}
