// Package fakekeycloak is a stand-in for Dash Enterprise's Keycloak in tests:
// an HTTPS server that implements exactly the admin REST calls ferry makes
// (through gocloak), with Keycloak's paths, status codes and error bodies,
// and that keeps its state so a test can assert the users, passwords and
// role mappings that result.
//
// What it serves, under Options.Prefix ("/auth" for the legacy WildFly
// Keycloak that DE5 runs, "" for Keycloak >= 17; the other prefix answers
// 404 as a real server does):
//
//	GET  /realms/{realm}/.well-known/openid-configuration
//	POST /realms/{realm}/protocol/openid-connect/token        (grant_type=password, client_id=admin-cli)
//	GET  /admin/realms/{realm}/users?username=&exact=&search=&email=&first=&max=
//	POST /admin/realms/{realm}/users                         (201 + Location, 409 on a duplicate)
//	GET  /admin/realms/{realm}/users/{id}
//	PUT  /admin/realms/{realm}/users/{id}/reset-password
//	GET  /admin/realms/{realm}/clients?clientId=
//	GET  /admin/realms/{realm}/clients/{id}/roles/{role}
//	GET  /admin/realms/{realm}/users/{id}/role-mappings/clients/{client}[/composite]
//	POST /admin/realms/{realm}/users/{id}/role-mappings/clients/{client}
//
// The TLS certificate is for auth-<Options.Server> and 127.0.0.1, signed by a
// CA made for the server (CACert, CAFile): a client trusts it only when told
// to, as with an internal CA.
//
// Tokens expire after Options.TokenLifetime by the server's clock, which
// Advance moves forward; RevokeTokens invalidates every token issued so far
// (Keycloak's "not before" revocation). OnceBefore runs a function before the
// next request of a kind, to stage races (a user created by someone else
// between ferry's search and its create) or an expiry in the middle of a run.
package fakekeycloak

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Options shape a server.
type Options struct {
	// Prefix is the context path: "" (Keycloak >= 17) or "/auth" (legacy).
	Prefix string
	// Server is Dash Enterprise's host name; the certificate is for
	// auth-<Server>. Default dash.example.test (it resolves nowhere).
	Server string
	// AdminUser and AdminPassword are the master realm's administrator.
	// Defaults: "admin" and a random password (Server.AdminPassword).
	AdminUser, AdminPassword string
	// TokenLifetime is the access token lifespan, reported as expires_in in
	// whole seconds. Default 60 s, what Keycloak gives the master realm
	// when it creates it (ApplianceBootstrap.createMasterRealm, legacy and
	// current versions alike).
	TokenLifetime time.Duration
	// IgnoreExact makes the user search ignore exact=true and match
	// substrings, as old Keycloak versions do.
	IgnoreExact bool
	// Realm and ClientID name the application realm and client (both "dash"
	// by default); ClientRoles are the client's roles (default admin,
	// licensed_user, viewer). An empty, non-nil ClientRoles means none.
	Realm       string
	ClientID    string
	ClientRoles []string
	// Listener, when set, is where the server answers (a site's ingress
	// address); default a free port on 127.0.0.1. Closed at t.Cleanup.
	Listener net.Listener
	// Certificate, when set, is served instead of the one signed by the
	// server's own CA: a site's certificate, as its ingress serves it.
	// CACert and CAFile stay the server's own CA.
	Certificate *tls.Certificate
}

// Op names a kind of request, for OnceBefore and Requests.
type Op string

// The requests the server answers.
const (
	OpDiscovery       Op = "discovery"
	OpToken           Op = "token"
	OpFindUsers       Op = "find-users"
	OpCreateUser      Op = "create-user"
	OpGetUser         Op = "get-user"
	OpResetPassword   Op = "reset-password"
	OpFindClients     Op = "find-clients"
	OpGetClientRole   Op = "get-client-role"
	OpGetRoleMappings Op = "get-role-mappings"
	OpAddRoleMappings Op = "add-role-mappings"
	OpUnknown         Op = "unknown"
)

// Request is one request the server received.
type Request struct {
	Op     Op
	Method string
	Path   string // without the query
	Realm  string // the realm the path names
	Status int
}

// User is a user as the server stores it.
type User struct {
	ID              string
	Username        string
	Email           string
	FirstName       string
	LastName        string
	Enabled         bool
	RequiredActions []string
}

// Server is a running fake Keycloak.
type Server struct {
	URL      string // https://127.0.0.1:PORT, without the prefix
	Base     string // URL + Prefix: what a gocloak client is given
	Addr     string // 127.0.0.1:PORT
	Hostname string // auth-<Server>, the certificate's name
	Prefix   string
	CACert   []byte // PEM of the CA that signed the certificate
	CAFile   string // CACert written to a file

	AdminUser, AdminPassword string

	t        testing.TB
	opts     Options
	signKey  []byte
	mu       sync.Mutex
	realms   map[string]*realm
	tokens   map[string]token
	offset   time.Duration // Advance's shift of the clock
	hooks    map[Op][]func()
	requests []Request
}

// Start runs a server for the test, stopped at t.Cleanup.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	opts = withDefaults(opts)
	if opts.Prefix != "" && opts.Prefix != "/auth" {
		t.Fatalf("fakekeycloak: Prefix %q: give \"\" or \"/auth\"", opts.Prefix)
	}
	s := &Server{
		Hostname:      "auth-" + opts.Server,
		Prefix:        opts.Prefix,
		AdminUser:     opts.AdminUser,
		AdminPassword: opts.AdminPassword,
		t:             t,
		opts:          opts,
		signKey:       randomBytes(32),
		realms:        map[string]*realm{},
		tokens:        map[string]token{},
		hooks:         map[Op][]func(){},
	}
	s.seed()
	pki, err := newTestPKI(s.Hostname)
	if err != nil {
		t.Fatalf("fakekeycloak: %v", err)
	}
	s.CACert = pki.caPEM
	s.CAFile = filepath.Join(t.TempDir(), "keycloak-ca.crt")
	if err := os.WriteFile(s.CAFile, pki.caPEM, 0o644); err != nil {
		t.Fatalf("fakekeycloak: %v", err)
	}
	hs := httptest.NewUnstartedServer(s.handler())
	// A client that does not trust the CA is a case under test, not noise.
	hs.Config.ErrorLog = log.New(io.Discard, "", 0)
	hs.TLS = newTLSConfig(pki)
	if opts.Certificate != nil {
		hs.TLS.Certificates = []tls.Certificate{*opts.Certificate}
	}
	if opts.Listener != nil {
		hs.Listener.Close()
		hs.Listener = opts.Listener
	}
	hs.StartTLS()
	t.Cleanup(hs.Close)
	s.URL = hs.URL
	s.Addr = hs.Listener.Addr().String()
	s.Base = s.URL + s.Prefix
	return s
}

func withDefaults(o Options) Options {
	if o.Server == "" {
		o.Server = "dash.example.test"
	}
	if o.AdminUser == "" {
		o.AdminUser = "admin"
	}
	if o.AdminPassword == "" {
		o.AdminPassword = "kc-admin-" + hex.EncodeToString(randomBytes(8))
	}
	if o.TokenLifetime <= 0 {
		o.TokenLifetime = 60 * time.Second
	}
	if o.Realm == "" {
		o.Realm = "dash"
	}
	if o.ClientID == "" {
		o.ClientID = "dash"
	}
	if o.ClientRoles == nil {
		o.ClientRoles = []string{"admin", "licensed_user", "viewer"}
	}
	return o
}

// seed creates the master realm with its administrator and the application
// realm with its client and roles, as Dash Enterprise's install leaves them.
func (s *Server) seed() {
	master := newRealm("master")
	admin := master.addUser(s.opts.AdminUser, s.now())
	admin.password, admin.masterAdmin = s.opts.AdminPassword, true
	s.realms["master"] = master
	app := newRealm(s.opts.Realm)
	app.addClient(s.opts.ClientID, s.opts.ClientRoles)
	s.realms[app.name] = app
}

func (s *Server) now() time.Time { return time.Now().Add(s.offset) }

// Advance moves the server's clock forward: tokens whose lifetime has passed
// by the new time are refused with 401.
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset += d
}

// RevokeTokens invalidates every token issued so far, as an administrator
// pushing a "not before" revocation policy does.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = map[string]token{}
}

// OnceBefore runs fn before the server handles the next request of kind op
// (after it is received, before it is answered). fn may use the Server's
// methods.
func (s *Server) OnceBefore(op Op, fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks[op] = append(s.hooks[op], fn)
}

// Requests lists the requests received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Logins counts the successful token requests for realm.
func (s *Server) Logins(realm string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Op == OpToken && r.Realm == realm && r.Status == http.StatusOK {
			n++
		}
	}
	return n
}

// User returns the application realm's user called name (usernames are
// compared case-insensitively, as Keycloak stores them in lower case).
func (s *Server) User(name string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.realms[s.opts.Realm].userByName(name)
	if u == nil {
		return User{}, false
	}
	return u.public(), true
}

// Users lists the application realm's usernames, sorted.
func (s *Server) Users() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for _, u := range s.realms[s.opts.Realm].users {
		names = append(names, u.username)
	}
	sort.Strings(names)
	return names
}

// CheckPassword reports whether password is the password of user in realm,
// the check the token endpoint makes (required actions and a disabled
// account aside).
func (s *Server) CheckPassword(realm, user, password string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.realms[realm]
	if r == nil {
		return false
	}
	u := r.userByName(user)
	return u != nil && u.password != "" && u.password == password
}

// ClientRoles lists the roles of the application client mapped directly to
// user in the application realm, sorted.
func (s *Server) ClientRoles(user string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.realms[s.opts.Realm]
	u := r.userByName(user)
	c := r.clientByClientID(s.opts.ClientID)
	if u == nil || c == nil {
		return nil
	}
	return u.roleNames(c.id)
}

// AddUser creates a user in the application realm with a password (none
// when empty) and direct mappings to the client's roles named, and returns
// its id. It fails the test (without stopping it: it may run in a server
// goroutine) when the user exists or a role does not.
func (s *Server) AddUser(username, password string, clientRoles ...string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.realms[s.opts.Realm]
	if r.userByName(username) != nil {
		s.t.Errorf("fakekeycloak: AddUser: user %s exists", username)
		return ""
	}
	c := r.clientByClientID(s.opts.ClientID)
	u := r.addUser(username, s.now())
	u.password = password
	for _, name := range clientRoles {
		if c == nil || c.roles[name] == nil {
			s.t.Errorf("fakekeycloak: AddUser: client %s has no role %s", s.opts.ClientID, name)
			continue
		}
		u.grant(c.id, name)
	}
	return u.id
}

// AddMasterUser creates a user in the master realm; admin gives it the
// rights of the administrator, otherwise the admin API answers it 403.
func (s *Server) AddMasterUser(username, password string, admin bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.realms["master"].addUser(username, s.now())
	u.password, u.masterAdmin = password, admin
}

// takeHooks removes and returns the functions waiting for op.
func (s *Server) takeHooks(op Op) []func() {
	s.mu.Lock()
	defer s.mu.Unlock()
	fns := s.hooks[op]
	delete(s.hooks, op)
	return fns
}

func (s *Server) record(r Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // documented never to fail since Go 1.24
	return b
}

// newID returns a UUID-shaped random id, as Keycloak's ids are.
func newID() string {
	h := hex.EncodeToString(randomBytes(16))
	return strings.Join([]string{h[0:8], h[8:12], h[12:16], h[16:20], h[20:32]}, "-")
}
