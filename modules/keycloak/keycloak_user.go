package keycloak

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/kube"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/Nerzal/gocloak/v13"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func init() { modules.Register(keycloakUserModule{}) }

// keycloakUserModule converges a Dash Enterprise user in Keycloak: the user
// exists in the application realm, has a password, and has the client roles
// of the application client. The Keycloak administrator's credentials come
// from the cluster (the keycloak-secrets Secret), read over the host's
// connection; Keycloak itself is reached directly or, when its name does not
// resolve from the operator's machine, through the host's connection.
type keycloakUserModule struct{}

// tokenMargin: an admin token with less life left than this is renewed
// before the next step rather than risk it expiring in flight. Master realm
// tokens live 60 s by default.
const tokenMargin = 10 * time.Second

func (keycloakUserModule) Spec() modules.Spec {
	return modules.Spec{
		Name:    "keycloak_user",
		Summary: "Create a Dash Enterprise user in Keycloak, set its password and grant its client roles",
		Args:    modules.OptionsOf[keycloakArgs](),
		Rules:   []modules.Rule{{Args: []string{"password_probe", "update_password"}, Check: checkProbeNeedsAlways}},
		OneOf:   [][]string{{"server", "url"}},
		Check:   modules.CheckSupported,
	}
}

// keycloakOptions are the module's arguments, checked and normalised.
type keycloakOptions struct {
	url         string // scheme://host[:port], no prefix, no trailing slash
	hostname    string // the URL's host name: TLS name and Host header
	prefix      string // auto, "" or /auth
	dialViaHost string
	nodeAddress string
	caFile      string
	kubeconfig  string
	secret      keycloakSecretRef
	adminRealm  string
	realm       string
	clientID    string
	username    string
	password    string
	updateAll   bool
	probe       bool
	temporary   bool
	email       string
	firstName   string
	lastName    string
	roles       []string
	timeout     time.Duration
}

func (r keycloakSecretRef) String() string { return r.Namespace + "/" + r.Name }

// keycloakOptionsOf normalises the decoded arguments (their checks ran
// when they were bound): Keycloak's address derived, names trimmed, the
// username lowercased, node_address given its port, roles without repeats.
func keycloakOptionsOf(a keycloakArgs) (keycloakOptions, error) {
	o := keycloakOptions{
		prefix: a.PathPrefix, dialViaHost: a.DialViaHost, caFile: a.CAFile, kubeconfig: a.Kubeconfig,
		adminRealm: strings.TrimSpace(a.AdminRealm), realm: strings.TrimSpace(a.Realm),
		clientID: strings.TrimSpace(a.ClientID), username: strings.ToLower(strings.TrimSpace(a.Username)),
		password: a.Password, updateAll: a.UpdatePassword == "always", probe: a.PasswordProbe,
		temporary: a.Temporary, email: strings.TrimSpace(a.Email), firstName: a.FirstName, lastName: a.LastName,
		timeout: time.Duration(a.Timeout) * time.Second,
	}
	var errs [4]error
	o.url, o.hostname, errs[0] = keycloakURL(a.Server, a.URL)
	if v := strings.TrimSpace(a.NodeAddress); v != "" {
		o.nodeAddress, errs[1] = hostPortDefault443(v)
	}
	o.roles, errs[2] = roleNames(a.ClientRoles)
	o.secret, errs[3] = a.adminSecret()
	return o, errors.Join(errs[:]...)
}

// keycloakURL returns Keycloak's base address and host name, from url or
// from server (https://auth-<server>).
func keycloakURL(server, raw string) (string, string, error) {
	if server != "" {
		name := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(server)), ".")
		if !modules.ValidHostname(name, false) {
			return "", "", fmt.Errorf("server %q is not a host name; give the bare name, e.g. dash.example.com (no scheme, port or wildcard)", server)
		}
		return "https://auth-" + name, "auth-" + name, nil
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", "", fmt.Errorf("url %q is not an http(s) address such as https://auth-dash.example.com", raw)
	}
	return u.Scheme + "://" + u.Host + strings.TrimRight(u.Path, "/"), u.Hostname(), nil
}

// hostPortDefault443 accepts host or host:port and returns host:port.
func hostPortDefault443(v string) (string, error) {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		host, port = strings.Trim(v, "[]"), "443"
	}
	if host == "" || port == "" || strings.ContainsAny(host, "/ ") {
		return "", fmt.Errorf("not host[:port]")
	}
	return net.JoinHostPort(host, port), nil
}

// roleNames checks the role list and drops repeats, keeping the order.
func roleNames(list []string) ([]string, error) {
	var out []string
	for _, r := range list {
		r = strings.TrimSpace(r)
		if r == "" || strings.ContainsAny(r, "/?#") {
			return nil, fmt.Errorf("client_roles entry %q is not a role name", r)
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (keycloakUserModule) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	a, err := modules.Decode[keycloakArgs](args)
	if err != nil {
		return modules.Result{}, err
	}
	o, err := keycloakOptionsOf(a)
	if err != nil {
		return modules.Result{}, err
	}
	h.AddSecret(o.password)
	tlsConfig, err := keycloakTLSConfig(h, o)
	if err != nil {
		return modules.Result{}, err
	}
	k, err := kube.For(ctx, h, o.kubeconfig)
	if res, ok, err := kube.PlanWithoutCluster(h, err, fmt.Sprintf("create user %s in realm %s with roles %v", o.username, o.realm, o.roles)); ok {
		return res, err
	}
	if err != nil {
		return modules.Result{}, err
	}
	admin, err := readKeycloakAdmin(ctx, h, k, o.secret)
	if err != nil {
		return modules.Result{}, err
	}
	link, err := keycloakLink(ctx, h, k, o, tlsConfig)
	if err != nil {
		return modules.Result{}, err
	}
	base, err := findKeycloakBase(ctx, link, o)
	if err != nil {
		return modules.Result{}, err
	}
	kc := gocloak.NewClient(base)
	kc.RestyClient().SetTransport(link.transport).SetTimeout(o.timeout)
	s := &keycloakSession{kc: kc, o: o, admin: admin}
	res, err := s.converge(ctx, h)
	if err != nil {
		return modules.Result{}, err
	}
	res.Data["keycloak_base"] = base
	res.Data["reached_via"] = link.describe()
	return res, nil
}

// keycloakTLSConfig trusts the system's CAs and, when given, ca_file.
func keycloakTLSConfig(h *modules.Host, o keycloakOptions) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.caFile == "" {
		return cfg, nil
	}
	path, pemData, err := modules.ReadPEMFile(h, "ca_file", o.caFile)
	if err != nil {
		return nil, err
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pemData) {
		return nil, fmt.Errorf("ca_file %s holds no PEM certificate (-----BEGIN CERTIFICATE-----); give your internal CA's certificate", path)
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// keycloakAdmin are the administrator's credentials and where they came from.
type keycloakAdmin struct {
	username, password string
	from               string // for messages: "secret plotly-system/keycloak-secrets"
	passwordKey        string
}

// readKeycloakAdmin reads the administrator's credentials from the Secret
// and registers them as secrets before anything could print them.
func readKeycloakAdmin(ctx context.Context, h *modules.Host, k *kube.Client, ref keycloakSecretRef) (keycloakAdmin, error) {
	sec := &corev1.Secret{}
	err := k.Get(ctx, kube.Secrets, ref.Namespace, ref.Name, sec)
	switch {
	case apierrors.IsNotFound(err):
		return keycloakAdmin{}, fmt.Errorf("secret %s not found in the cluster on %s: is Dash Enterprise installed and ready (its Keycloak creates it)? If your install keeps the Keycloak admin elsewhere, set admin_secret", ref, modules.HostLabel(h))
	case apierrors.IsForbidden(err):
		return keycloakAdmin{}, fmt.Errorf("reading secret %s is forbidden for the kubeconfig's user: use the cluster-admin kubeconfig (%s)", ref, kube.DefaultKubeconfig)
	case err != nil:
		return keycloakAdmin{}, fmt.Errorf("reading secret %s: %w", ref, err)
	}
	a := keycloakAdmin{from: "secret " + ref.String(), passwordKey: ref.PasswordKey}
	a.password = string(sec.Data[ref.PasswordKey])
	h.AddSecret(a.password)
	if a.password == "" {
		return keycloakAdmin{}, fmt.Errorf("secret %s has no %s (its keys: %s); set admin_secret.password_key to the key holding the Keycloak admin password",
			ref, ref.PasswordKey, strings.Join(secretKeys(sec), ", "))
	}
	a.username = strings.TrimSpace(string(sec.Data[ref.UsernameKey]))
	if a.username == "" {
		// The well-known default is not masked: masking every "admin" would
		// hide role names and admin-<server> URLs and protect nothing.
		a.username = ref.UsernameDefault
	} else {
		h.AddSecret(a.username)
	}
	return a, nil
}

func secretKeys(sec *corev1.Secret) []string {
	keys := slices.Sorted(maps.Keys(sec.Data))
	if len(keys) == 0 {
		return []string{"none"}
	}
	return keys
}

// keycloakConn is how requests reach Keycloak: an HTTP transport that either
// dials directly or through the host's connection.
type keycloakConn struct {
	transport http.RoundTripper // a ReadOnlyTransport: writes need the modules.Writer's context
	viaHost   string            // node address dialled from the host; "" when direct
	hostName  string            // inventory name, for messages
	why       string            // why the host's connection is used
}

func (l keycloakConn) describe() string {
	if l.viaHost == "" {
		return "direct"
	}
	return fmt.Sprintf("through %s to %s (%s)", l.hostName, l.viaHost, l.why)
}

func (l keycloakConn) client(timeout time.Duration) *http.Client {
	return &http.Client{Transport: l.transport, Timeout: timeout}
}

// keycloakLink decides how to reach Keycloak and builds the transport. The
// TLS name and Host header are always Keycloak's name (from the URL), so the
// ingress routes the request and the certificate is checked for that name,
// wherever the TCP connection goes.
func keycloakLink(ctx context.Context, h *modules.Host, k *kube.Client, o keycloakOptions, tlsConfig *tls.Config) (keycloakConn, error) {
	link := keycloakConn{hostName: modules.HostLabel(h)}
	via, why, err := useHostConnection(ctx, o)
	if err != nil {
		return link, err
	}
	if !via {
		link.transport = modules.ReadOnlyTransport(&http.Transport{Proxy: http.ProxyFromEnvironment, TLSClientConfig: tlsConfig,
			TLSHandshakeTimeout: o.timeout, DialContext: (&net.Dialer{Timeout: o.timeout}).DialContext}, isKeycloakLogin)
		return link, nil
	}
	dialer, ok := h.Dialer()
	if !ok {
		return link, fmt.Errorf("%s; but the connection to %s cannot open TCP connections from the host's side: make the name resolve here, or use an SSH host", why, modules.HostLabel(h))
	}
	addr := o.nodeAddress
	if addr == "" {
		if addr, err = nodeInternalAddress(ctx, k); err != nil {
			return link, err
		}
	}
	link.viaHost, link.why = addr, why
	link.transport = modules.ReadOnlyTransport(&http.Transport{TLSClientConfig: tlsConfig, TLSHandshakeTimeout: o.timeout,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, "tcp", addr)
		}}, isKeycloakLogin)
	return link, nil
}

// isKeycloakLogin declares the one POST that only reads: a login at a
// realm's token endpoint (the admin's, and the password probe's). Creating a
// user, setting a password and adding roles need the modules.Writer's context.
func isKeycloakLogin(req *http.Request) bool {
	return req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/protocol/openid-connect/token")
}

// useHostConnection applies dial_via_host: auto uses the host's connection
// when Keycloak's name does not resolve here.
func useHostConnection(ctx context.Context, o keycloakOptions) (bool, string, error) {
	switch o.dialViaHost {
	case "true":
		return true, "dial_via_host: true", nil
	case "false":
		return false, "", nil
	}
	if net.ParseIP(o.hostname) != nil {
		return false, "", nil
	}
	lctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	if _, err := net.DefaultResolver.LookupHost(lctx, o.hostname); err != nil {
		return true, o.hostname + " does not resolve on this machine", nil
	}
	return false, "", nil
}

// nodeInternalAddress returns <InternalIP>:443 of the cluster's first node
// (by name): on a single-VM install, where the ingress answers.
func nodeInternalAddress(ctx context.Context, k *kube.Client) (string, error) {
	nodes := &corev1.NodeList{}
	if err := k.List(ctx, kube.Nodes, "", metav1.ListOptions{}, nodes); err != nil {
		return "", fmt.Errorf("listing the cluster's nodes to find the ingress address: %w; set node_address", err)
	}
	sort.Slice(nodes.Items, func(i, j int) bool { return nodes.Items[i].Name < nodes.Items[j].Name })
	for _, n := range nodes.Items {
		for _, a := range n.Status.Addresses {
			if a.Type == corev1.NodeInternalIP && a.Address != "" {
				return net.JoinHostPort(a.Address, "443"), nil
			}
		}
	}
	return "", errors.New("no node of the cluster has an InternalIP to reach the ingress at; set node_address (host[:port] as the host sees it)")
}

// findKeycloakBase returns <url><prefix>, asking the admin realm's OpenID
// configuration under each candidate prefix. It is also the first contact,
// so TLS, DNS and connection problems are explained here.
func findKeycloakBase(ctx context.Context, link keycloakConn, o keycloakOptions) (string, error) {
	candidates := []string{"/auth", ""}
	if o.prefix != "auto" {
		candidates = []string{o.prefix}
	}
	client := link.client(o.timeout)
	var tried []string
	for _, p := range candidates {
		u := o.url + p + "/realms/" + url.PathEscape(o.adminRealm) + "/.well-known/openid-configuration"
		status, err := httpStatus(ctx, client, u)
		if err != nil {
			return "", explainReachError(err, link, o)
		}
		if status == http.StatusOK {
			return o.url + p, nil
		}
		tried = append(tried, fmt.Sprintf("%s answered %d", u, status))
	}
	hint := "set path_prefix: auto to detect the context path"
	if o.prefix == "auto" {
		hint = "is " + o.url + " Keycloak's address (https://auth-<server>)? If Keycloak runs under another context path, put it in url and set path_prefix: \"\""
	}
	return "", fmt.Errorf("cannot find Keycloak's realm %q: %s; %s (or admin_realm is wrong)", o.adminRealm, strings.Join(tried, ", "), hint)
}

func httpStatus(ctx context.Context, client *http.Client, u string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// explainReachError turns a failure to talk to Keycloak at all into what to
// do about it.
func explainReachError(err error, link keycloakConn, o keycloakOptions) error {
	var unknownCA x509.UnknownAuthorityError
	var badName x509.HostnameError
	var invalid x509.CertificateInvalidError
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &unknownCA) && o.caFile == "":
		return fmt.Errorf("the TLS certificate of %s is signed by an authority this machine does not trust (%s): give ca_file, the PEM file of the CA that signed it (your internal CA)", o.hostname, issuerName(unknownCA.Cert))
	case errors.As(err, &unknownCA):
		return fmt.Errorf("the TLS certificate of %s is signed by %s, which neither ca_file %s nor the system trusts: give the CA that signed Keycloak's certificate", o.hostname, issuerName(unknownCA.Cert), o.caFile)
	case errors.As(err, &badName):
		return fmt.Errorf("the TLS certificate served for %s does not cover that name (%v): Keycloak's certificate must cover auth-<server>", o.hostname, badName.Error())
	case errors.As(err, &invalid):
		return fmt.Errorf("the TLS certificate of %s is not valid: %v", o.hostname, invalid.Error())
	case errors.As(err, &dnsErr):
		return fmt.Errorf("%s does not resolve on this machine (%v): set dial_via_host: true (or auto) to reach it through %s's connection, or add it to DNS", o.hostname, dnsErr.Error(), link.hostName)
	case link.viaHost != "":
		return fmt.Errorf("cannot reach Keycloak at %s through %s (connecting from the host to %s, %s): %v; check that the ingress answers there, or set node_address", o.url, link.hostName, link.viaHost, link.why, err)
	}
	return fmt.Errorf("cannot reach Keycloak at %s: %v", o.url, err)
}

func issuerName(c *x509.Certificate) string {
	if c == nil {
		return "an unknown issuer"
	}
	return "issuer \"" + c.Issuer.String() + "\""
}

// keycloakSession is a logged-in admin client. It renews its token before a
// step when little life is left, and once more when Keycloak answers 401
// (a token expired or revoked in flight).
type keycloakSession struct {
	kc      *gocloak.GoCloak
	o       keycloakOptions
	admin   keycloakAdmin
	token   string
	expires time.Time
}

func (s *keycloakSession) login(ctx context.Context) error {
	jwt, err := s.kc.LoginAdmin(ctx, s.admin.username, s.admin.password, s.o.adminRealm)
	if err != nil {
		return s.loginError(err)
	}
	s.token = jwt.AccessToken
	s.expires = time.Now().Add(time.Duration(jwt.ExpiresIn) * time.Second)
	return nil
}

func (s *keycloakSession) loginError(err error) error {
	code, msg := gocloakStatus(err)
	who := fmt.Sprintf("the Keycloak administrator from %s", s.admin.from)
	switch {
	case strings.Contains(msg, "invalid_grant"):
		return fmt.Errorf("Keycloak refused %s in realm %s (%s): the password in %s is not the administrator's, or the administrator is not in realm %s. Check the Secret (or admin_secret, admin_realm)",
			who, s.o.adminRealm, msg, s.admin.passwordKey, s.o.adminRealm)
	case code == http.StatusNotFound:
		return fmt.Errorf("Keycloak has no realm %q to log in to (%s): check admin_realm", s.o.adminRealm, msg)
	}
	if code == 0 {
		return s.callError("log in as the Keycloak administrator", err)
	}
	return &keycloakError{msg: fmt.Sprintf("logging in as %s to realm %s: Keycloak answered %s", who, s.o.adminRealm, msg), err: err}
}

// do runs one admin call with a fresh enough token.
func (s *keycloakSession) do(ctx context.Context, step string, call func(token string) error) error {
	if s.token == "" || time.Until(s.expires) < tokenMargin {
		if err := s.login(ctx); err != nil {
			return err
		}
	}
	err := call(s.token)
	if code, _ := gocloakStatus(err); code == http.StatusUnauthorized {
		if err := s.login(ctx); err != nil {
			return err
		}
		err = call(s.token)
	}
	if err != nil {
		return s.callError(step, err)
	}
	return nil
}

// gocloakStatus returns the HTTP status (0 for a transport failure) and
// message of a gocloak error.
func gocloakStatus(err error) (int, string) {
	var apiErr *gocloak.APIError
	if errors.As(err, &apiErr) {
		return apiErr.Code, apiErr.Message
	}
	if err != nil {
		return 0, err.Error()
	}
	return 0, ""
}

// keycloakError is a failed Keycloak call explained for the operator; it
// keeps the gocloak error for callers that look at the status.
type keycloakError struct {
	msg string
	err error
}

func (e *keycloakError) Error() string { return e.msg }
func (e *keycloakError) Unwrap() error { return e.err }

// callError says what failed and what to do about it. step is empty inside
// h.Change, whose error names the step already.
func (s *keycloakSession) callError(step string, err error) error {
	code, msg := gocloakStatus(err)
	var text string
	switch {
	case code == http.StatusUnauthorized:
		text = fmt.Sprintf("Keycloak refused a fresh administrator token (%s): is the admin realm's token lifespan very short, or the Keycloak server's clock wrong?", msg)
	case code == http.StatusForbidden:
		text = fmt.Sprintf("the Keycloak administrator from %s may not do this in realm %s (%s): it needs the realm-management roles manage-users and view-clients; use the master realm's administrator",
			s.admin.from, s.o.realm, msg)
	case code == http.StatusNotFound && strings.Contains(msg, "Realm not found"):
		text = fmt.Sprintf("Keycloak has no realm %q (%s): check realm (Dash Enterprise's is dash)", s.o.realm, msg)
	case code == 0:
		text = fmt.Sprintf("cannot talk to Keycloak at %s: %s", s.o.url, msg)
	default:
		text = "Keycloak answered " + msg
	}
	if step != "" {
		text = step + ": " + text
	}
	return &keycloakError{msg: text, err: err}
}

// keycloakRoles is the client and its roles the user must have.
type keycloakRoles struct {
	clientUUID string
	roles      []gocloak.Role
}

// resolveRoles finds the client and every wanted role, before anything is
// changed: a misnamed role must not leave a half-made user behind.
func (s *keycloakSession) resolveRoles(ctx context.Context) (keycloakRoles, error) {
	var out keycloakRoles
	if len(s.o.roles) == 0 {
		return out, nil
	}
	var clients []*gocloak.Client
	err := s.do(ctx, "find client "+s.o.clientID, func(tok string) (err error) {
		clients, err = s.kc.GetClients(ctx, tok, s.o.realm, gocloak.GetClientsParams{ClientID: gocloak.StringP(s.o.clientID)})
		return err
	})
	if err != nil {
		return out, err
	}
	for _, c := range clients {
		if c != nil && c.ClientID != nil && *c.ClientID == s.o.clientID && c.ID != nil {
			out.clientUUID = *c.ID
		}
	}
	if out.clientUUID == "" {
		return out, fmt.Errorf("Keycloak realm %s has no client %q: check client_id (Dash Enterprise's is dash) and realm", s.o.realm, s.o.clientID)
	}
	for _, name := range s.o.roles {
		var role *gocloak.Role
		err := s.do(ctx, "find role "+name, func(tok string) (err error) {
			role, err = s.kc.GetClientRole(ctx, tok, s.o.realm, out.clientUUID, name)
			return err
		})
		if code, msg := gocloakStatus(err); code == http.StatusNotFound && strings.Contains(msg, "role") {
			return out, fmt.Errorf("client %s of Keycloak realm %s has no role %q: check client_roles (Dash Enterprise's roles are admin, licensed_user and viewer)", s.o.clientID, s.o.realm, name)
		}
		if err != nil {
			return out, err
		}
		out.roles = append(out.roles, *role)
	}
	return out, nil
}

// findUser returns the user called o.username, or nil. The search asks for
// an exact match, and the answer is filtered again here because older
// Keycloak ignores exact and matches substrings.
func (s *keycloakSession) findUser(ctx context.Context) (*gocloak.User, error) {
	var users []*gocloak.User
	err := s.do(ctx, "search user "+s.o.username, func(tok string) (err error) {
		users, err = s.kc.GetUsers(ctx, tok, s.o.realm, gocloak.GetUsersParams{Username: gocloak.StringP(s.o.username), Exact: gocloak.BoolP(true)})
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		if u != nil && u.Username != nil && u.ID != nil && strings.EqualFold(*u.Username, s.o.username) {
			return u, nil
		}
	}
	return nil, nil
}

// createUser creates the user and returns its id and whether this call
// created it: a 409 means someone else did in the meantime, and the user
// is looked up again.
func (s *keycloakSession) createUser(ctx context.Context) (string, bool, error) {
	user := gocloak.User{Username: gocloak.StringP(s.o.username), Enabled: gocloak.BoolP(true)}
	if s.o.email != "" {
		user.Email = gocloak.StringP(s.o.email)
	}
	if s.o.firstName != "" {
		user.FirstName = gocloak.StringP(s.o.firstName)
	}
	if s.o.lastName != "" {
		user.LastName = gocloak.StringP(s.o.lastName)
	}
	var id string
	var conflict string
	err := s.do(ctx, "", func(tok string) (err error) {
		id, err = s.kc.CreateUser(ctx, tok, s.o.realm, user)
		if code, msg := gocloakStatus(err); code == http.StatusConflict {
			conflict, err = msg, nil
		}
		return err
	})
	if err != nil {
		return "", false, err
	}
	if conflict == "" {
		if id == "" {
			return "", false, fmt.Errorf("Keycloak created user %s but did not say its id (no Location header)", s.o.username)
		}
		return id, true, nil
	}
	if strings.Contains(conflict, "email") {
		return "", false, fmt.Errorf("cannot create user %s: another Keycloak user of realm %s has the email %s (%s): give another email", s.o.username, s.o.realm, s.o.email, conflict)
	}
	existing, err := s.findUser(ctx)
	if err != nil {
		return "", false, err
	}
	if existing == nil {
		return "", false, fmt.Errorf("Keycloak says user %s exists (%s) but no user of that name is found in realm %s", s.o.username, conflict, s.o.realm)
	}
	return *existing.ID, false, nil
}

// passwordMatches tries the password with a direct grant as the user.
func (s *keycloakSession) passwordMatches(ctx context.Context) bool {
	_, err := s.kc.LoginAdmin(ctx, s.o.username, s.o.password, s.o.realm)
	return err == nil
}

// currentRoles lists the names of the client roles mapped directly to the
// user (inherited ones, like the default viewer, are not mappings to add).
func (s *keycloakSession) currentRoles(ctx context.Context, userID, clientUUID string) (map[string]bool, error) {
	var roles []*gocloak.Role
	err := s.do(ctx, "read the roles of user "+s.o.username, func(tok string) (err error) {
		roles, err = s.kc.GetClientRolesByUserID(ctx, tok, s.o.realm, clientUUID, userID)
		return err
	})
	have := map[string]bool{}
	for _, r := range roles {
		if r != nil && r.Name != nil {
			have[*r.Name] = true
		}
	}
	return have, err
}

// keycloakOutcome is what the run did (or, in check mode, would do).
type keycloakOutcome struct {
	userID      string
	created     bool
	raced       bool // a 409: the user appeared between search and create
	passwordSet bool
	rolesAdded  []string
}

// converge brings the user to the wanted state; in check mode it only reads
// and plans.
func (s *keycloakSession) converge(ctx context.Context, h *modules.Host) (modules.Result, error) {
	var out keycloakOutcome
	roles, err := s.resolveRoles(ctx)
	if err != nil {
		return modules.Result{}, err
	}
	if err := s.ensureUser(ctx, h, &out); err != nil {
		return modules.Result{}, err
	}
	if err := s.ensurePassword(ctx, h, &out); err != nil {
		return modules.Result{}, err
	}
	if err := s.ensureRoles(ctx, h, roles, &out); err != nil {
		return modules.Result{}, err
	}
	return s.result(out), nil
}

func (s *keycloakSession) ensureUser(ctx context.Context, h *modules.Host, out *keycloakOutcome) error {
	existing, err := s.findUser(ctx)
	if err != nil {
		return err
	}
	if existing != nil {
		out.userID = *existing.ID
		return nil
	}
	if s.o.password == "" {
		return fmt.Errorf("user %s does not exist in Keycloak realm %s and no password is given: give password to create it", s.o.username, s.o.realm)
	}
	out.created = true // in check mode: would be
	return h.Change(fmt.Sprintf("create user %s in Keycloak realm %s", s.o.username, s.o.realm), func(w modules.Writer) error {
		id, created, err := s.createUser(w.Context(ctx))
		out.userID, out.created, out.raced = id, created, !created
		return err
	})
}

func (s *keycloakSession) ensurePassword(ctx context.Context, h *modules.Host, out *keycloakOutcome) error {
	switch {
	case out.created:
	case !s.o.updateAll || s.o.password == "":
		return nil
	case s.o.probe && s.passwordMatches(ctx):
		return nil
	}
	what := fmt.Sprintf("set the password of user %s", s.o.username)
	if s.o.temporary {
		what += " (temporary)"
	}
	out.passwordSet = true
	return h.Change(what, func(w modules.Writer) error {
		ctx := w.Context(ctx)
		return s.do(ctx, "", func(tok string) error {
			return s.kc.SetPassword(ctx, tok, out.userID, s.o.realm, s.o.password, s.o.temporary)
		})
	})
}

func (s *keycloakSession) ensureRoles(ctx context.Context, h *modules.Host, want keycloakRoles, out *keycloakOutcome) error {
	if len(want.roles) == 0 {
		return nil
	}
	have := map[string]bool{}
	if out.userID != "" { // empty only in check mode, for a user that would be created
		var err error
		if have, err = s.currentRoles(ctx, out.userID, want.clientUUID); err != nil {
			return err
		}
	}
	var missing []gocloak.Role
	for _, r := range want.roles {
		if !have[*r.Name] {
			missing = append(missing, r)
			out.rolesAdded = append(out.rolesAdded, *r.Name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	what := fmt.Sprintf("add roles [%s] of client %s to user %s", strings.Join(out.rolesAdded, " "), s.o.clientID, s.o.username)
	return h.Change(what, func(w modules.Writer) error {
		ctx := w.Context(ctx)
		return s.do(ctx, "", func(tok string) error {
			return s.kc.AddClientRolesToUser(ctx, tok, s.o.realm, want.clientUUID, out.userID, missing)
		})
	})
}

func (s *keycloakSession) result(out keycloakOutcome) modules.Result {
	added := make([]any, 0, len(out.rolesAdded))
	for _, r := range out.rolesAdded {
		added = append(added, r)
	}
	var did []string
	switch {
	case out.created:
		did = append(did, "created")
	case out.raced:
		did = append(did, "found (created concurrently by someone else: Keycloak answered 409)")
	default:
		did = append(did, "exists")
	}
	if out.passwordSet {
		did = append(did, "password set")
	}
	if len(out.rolesAdded) > 0 {
		did = append(did, "roles added: "+strings.Join(out.rolesAdded, ", "))
	}
	return modules.Result{
		Msg: fmt.Sprintf("Keycloak user %s in realm %s: %s", s.o.username, s.o.realm, strings.Join(did, "; ")),
		Data: map[string]any{
			"user_id":      out.userID,
			"username":     s.o.username,
			"created":      out.created,
			"password_set": out.passwordSet,
			"roles_added":  added,
		},
	}
}
