package fakekeycloak

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// statusWriter remembers the status a handler answered, for Requests.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// handler routes the paths under the configured prefix; anything else gets
// the 404 the real server gives for a path it does not serve.
func (s *Server) handler() http.Handler {
	api := http.NewServeMux()
	s.route(api, "GET /realms/{realm}/.well-known/openid-configuration", OpDiscovery, s.discovery)
	s.route(api, "POST /realms/{realm}/protocol/openid-connect/token", OpToken, s.tokenEndpoint)
	s.route(api, "GET /admin/realms/{realm}/users", OpFindUsers, s.admin(s.findUsers))
	s.route(api, "POST /admin/realms/{realm}/users", OpCreateUser, s.admin(s.createUser))
	s.route(api, "GET /admin/realms/{realm}/users/{id}", OpGetUser, s.admin(s.getUser))
	s.route(api, "PUT /admin/realms/{realm}/users/{id}/reset-password", OpResetPassword, s.admin(s.resetPassword))
	s.route(api, "GET /admin/realms/{realm}/clients", OpFindClients, s.admin(s.findClients))
	s.route(api, "GET /admin/realms/{realm}/clients/{client}/roles/{role}", OpGetClientRole, s.admin(s.getClientRole))
	s.route(api, "GET /admin/realms/{realm}/users/{id}/role-mappings/clients/{client}", OpGetRoleMappings, s.admin(s.getRoleMappings(false)))
	s.route(api, "GET /admin/realms/{realm}/users/{id}/role-mappings/clients/{client}/composite", OpGetRoleMappings, s.admin(s.getRoleMappings(true)))
	s.route(api, "POST /admin/realms/{realm}/users/{id}/role-mappings/clients/{client}", OpAddRoleMappings, s.admin(s.addRoleMappings))
	if s.Prefix == "" {
		// Keycloak >= 17 (Quarkus): an unknown path, /auth/... included.
		s.route(api, "/", OpUnknown, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "Unable to find matching target resource method"})
		})
		return api
	}
	// Legacy WildFly Keycloak under /auth: RESTEasy answers unknown paths
	// inside the context, Undertow those outside it.
	s.route(api, "/", OpUnknown, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "RESTEASY003210: Could not find resource for full path: " + s.requestURI(r)})
	})
	root := http.NewServeMux()
	root.Handle(s.Prefix+"/", http.StripPrefix(s.Prefix, api))
	root.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.record(Request{Op: OpUnknown, Method: r.Method, Path: r.URL.Path, Status: http.StatusNotFound})
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("<html><head><title>Error</title></head><body>Not Found</body></html>"))
	})
	return root
}

// route registers fn for pattern: it runs the hooks waiting for op, then fn,
// and records the request with the status answered.
func (s *Server) route(mux *http.ServeMux, pattern string, op Op, fn http.HandlerFunc) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		for _, hook := range s.takeHooks(op) {
			hook()
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		fn(sw, r)
		s.record(Request{Op: op, Method: r.Method, Path: s.Prefix + r.URL.Path, Realm: r.PathValue("realm"), Status: sw.status})
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers Keycloak's error body for an exception whose message is
// msg: {"error": msg}.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// writeErrorMessage answers an ErrorResponse body: {"errorMessage": msg}.
func writeErrorMessage(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"errorMessage": msg})
}

func writeOAuthError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

func (s *Server) discovery(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	_, ok := s.realms[r.PathValue("realm")]
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "Realm does not exist")
		return
	}
	issuer := s.issuer(r.PathValue("realm"))
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                 issuer,
		"authorization_endpoint": issuer + "/protocol/openid-connect/auth",
		"token_endpoint":         issuer + "/protocol/openid-connect/token",
		"userinfo_endpoint":      issuer + "/protocol/openid-connect/userinfo",
		"jwks_uri":               issuer + "/protocol/openid-connect/certs",
		"grant_types_supported":  []string{"authorization_code", "implicit", "refresh_token", "password", "client_credentials"},
	})
}

// requestURI is the absolute request URI, query included, as RESTEasy's
// UriInfo.getRequestUri names it in its 404 (r is inside the prefix).
func (s *Server) requestURI(r *http.Request) string {
	u := s.URL + s.Prefix + r.URL.Path
	if r.URL.RawQuery != "" {
		u += "?" + r.URL.RawQuery
	}
	return u
}

func (s *Server) issuer(realm string) string { return s.URL + s.Prefix + "/realms/" + realm }

// tokenEndpoint implements the password grant of the public admin-cli
// client, which exists in every realm.
func (s *Server) tokenEndpoint(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "Invalid form")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rlm := s.realms[r.PathValue("realm")]
	switch {
	case rlm == nil:
		writeError(w, http.StatusNotFound, "Realm does not exist")
		return
	case r.PostForm.Get("grant_type") != "password":
		// TokenEndpoint checks the grant type before the client.
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "Unsupported grant_type")
		return
	case r.PostForm.Get("client_id") != "admin-cli":
		// Legacy Keycloak (before 20): no client authenticator identified
		// the client, and the error handler's answer for that is a 400.
		writeOAuthError(w, http.StatusBadRequest, "invalid_client", "Invalid client credentials")
		return
	}
	u := rlm.userByName(r.PostForm.Get("username"))
	switch {
	case u == nil || u.password == "" || u.password != r.PostForm.Get("password"):
		writeOAuthError(w, http.StatusUnauthorized, "invalid_grant", "Invalid user credentials")
		return
	case !u.enabled:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "Account disabled")
		return
	case len(u.requiredActions) > 0:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "Account is not fully set up")
		return
	}
	access := s.issue(rlm.name, u)
	seconds := int(s.opts.TokenLifetime.Seconds())
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": access, "expires_in": seconds, "refresh_expires_in": 1800,
		"refresh_token": s.sign(map[string]any{"typ": "Refresh", "jti": newID()}),
		"token_type":    "Bearer", "not-before-policy": 0, "session_state": newID(), "scope": "profile email",
	})
}

// issue records and returns a new JWT-shaped access token. Called with s.mu
// held.
func (s *Server) issue(realmName string, u *user) string {
	now := s.now()
	expires := now.Add(s.opts.TokenLifetime)
	jwt := s.sign(map[string]any{
		"exp": expires.Unix(), "iat": now.Unix(), "jti": newID(), "iss": s.issuer(realmName),
		"sub": u.id, "typ": "Bearer", "azp": "admin-cli", "preferred_username": u.username, "scope": "profile email",
	})
	s.tokens[jwt] = token{realm: realmName, userID: u.id, expires: expires}
	return jwt
}

// sign builds an HS256 JWT: clients treat it as opaque, as ferry does.
func (s *Server) sign(claims map[string]any) string {
	enc := base64.RawURLEncoding
	header, _ := json.Marshal(map[string]string{"alg": "HS256", "typ": "JWT"})
	payload, _ := json.Marshal(claims)
	unsigned := enc.EncodeToString(header) + "." + enc.EncodeToString(payload)
	mac := hmac.New(sha256.New, s.signKey)
	mac.Write([]byte(unsigned))
	return unsigned + "." + enc.EncodeToString(mac.Sum(nil))
}

// adminHandler handles an admin API request for realm once the caller is
// authenticated and allowed. It runs with s.mu held.
type adminHandler func(w http.ResponseWriter, r *http.Request, rlm *realm)

// admin checks the bearer token (401), the realm (404) and the caller's
// rights (403), in Keycloak's order.
func (s *Server) admin(fn adminHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		tok, known := s.tokens[bearer]
		if !ok || !known || !s.now().Before(tok.expires) {
			w.Header().Set("WWW-Authenticate", "Bearer")
			writeError(w, http.StatusUnauthorized, "HTTP 401 Unauthorized")
			return
		}
		rlm := s.realms[r.PathValue("realm")]
		if rlm == nil {
			writeError(w, http.StatusNotFound, "Realm not found.")
			return
		}
		caller := s.realms[tok.realm].users[tok.userID]
		if tok.realm != "master" || caller == nil || !caller.masterAdmin {
			writeError(w, http.StatusForbidden, "HTTP 403 Forbidden")
			return
		}
		fn(w, r, rlm)
	}
}

// findUsers searches users: username (substring, or exact with exact=true),
// search (substring of username, email or names), email; first and max page.
func (s *Server) findUsers(w http.ResponseWriter, r *http.Request, rlm *realm) {
	q := r.URL.Query()
	exact := q.Get("exact") == "true" && !s.opts.IgnoreExact
	match := func(have, want string) bool {
		have, want = strings.ToLower(have), strings.ToLower(want)
		if exact {
			return have == want
		}
		return strings.Contains(have, want)
	}
	out := []map[string]any{}
	for _, u := range rlm.sortedUsers() {
		if q.Has("username") && !match(u.username, q.Get("username")) {
			continue
		}
		if q.Has("email") && !match(u.email, q.Get("email")) {
			continue
		}
		if q.Has("search") && !containsAny(q.Get("search"), u.username, u.email, u.firstName, u.lastName) {
			continue
		}
		out = append(out, u.representation())
	}
	first, max := intParam(q.Get("first"), 0), intParam(q.Get("max"), 100)
	if first > len(out) {
		first = len(out)
	}
	out = out[first:]
	if max >= 0 && len(out) > max {
		out = out[:max]
	}
	writeJSON(w, http.StatusOK, out)
}

func containsAny(needle string, fields ...string) bool {
	needle = strings.ToLower(strings.Trim(needle, "*"))
	for _, f := range fields {
		if strings.Contains(strings.ToLower(f), needle) {
			return true
		}
	}
	return false
}

func intParam(v string, def int) int {
	if n, err := strconv.Atoi(v); err == nil {
		return n
	}
	return def
}

// userRepresentation is what a create request may carry.
type userRepresentation struct {
	Username        *string  `json:"username"`
	Email           *string  `json:"email"`
	FirstName       *string  `json:"firstName"`
	LastName        *string  `json:"lastName"`
	Enabled         *bool    `json:"enabled"`
	RequiredActions []string `json:"requiredActions"`
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, rlm *realm) {
	var rep userRepresentation
	if err := json.NewDecoder(r.Body).Decode(&rep); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "unknown_error", "Cannot parse the JSON")
		return
	}
	if rep.Username == nil || strings.TrimSpace(*rep.Username) == "" {
		writeErrorMessage(w, http.StatusBadRequest, "User name is missing")
		return
	}
	if rlm.userByName(*rep.Username) != nil {
		writeErrorMessage(w, http.StatusConflict, "User exists with same username")
		return
	}
	if rep.Email != nil && *rep.Email != "" && rlm.userByEmail(*rep.Email) != nil {
		writeErrorMessage(w, http.StatusConflict, "User exists with same email")
		return
	}
	u := rlm.addUser(*rep.Username, s.now())
	u.enabled = rep.Enabled == nil || *rep.Enabled
	u.email, u.firstName, u.lastName = deref(rep.Email), deref(rep.FirstName), deref(rep.LastName)
	u.requiredActions = rep.RequiredActions
	w.Header().Set("Location", s.URL+s.Prefix+"/admin/realms/"+rlm.name+"/users/"+u.id)
	w.WriteHeader(http.StatusCreated)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, rlm *realm) {
	u := rlm.users[r.PathValue("id")]
	if u == nil {
		writeError(w, http.StatusNotFound, "User not found")
		return
	}
	writeJSON(w, http.StatusOK, u.representation())
}

func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request, rlm *realm) {
	u := rlm.users[r.PathValue("id")]
	if u == nil {
		writeError(w, http.StatusNotFound, "User not found")
		return
	}
	var cred struct {
		Type      string  `json:"type"`
		Value     *string `json:"value"`
		Temporary bool    `json:"temporary"`
	}
	if err := json.NewDecoder(r.Body).Decode(&cred); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "unknown_error", "Cannot parse the JSON")
		return
	}
	if cred.Value == nil {
		writeError(w, http.StatusBadRequest, "No password provided")
		return
	}
	if strings.TrimSpace(*cred.Value) == "" {
		writeError(w, http.StatusBadRequest, "Empty password")
		return
	}
	u.password = *cred.Value
	u.requiredActions = without(u.requiredActions, "UPDATE_PASSWORD")
	if cred.Temporary {
		u.requiredActions = append(u.requiredActions, "UPDATE_PASSWORD")
	}
	w.WriteHeader(http.StatusNoContent)
}

func without(list []string, drop string) []string {
	var out []string
	for _, v := range list {
		if v != drop {
			out = append(out, v)
		}
	}
	return out
}

// findClients lists clients; clientId matches exactly unless search=true.
func (s *Server) findClients(w http.ResponseWriter, r *http.Request, rlm *realm) {
	q := r.URL.Query()
	out := []map[string]any{}
	for _, c := range rlm.clients {
		want := q.Get("clientId")
		switch {
		case !q.Has("clientId"):
		case q.Get("search") == "true" && strings.Contains(strings.ToLower(c.clientID), strings.ToLower(want)):
		case c.clientID == want:
		default:
			continue
		}
		out = append(out, c.representation())
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getClientRole(w http.ResponseWriter, r *http.Request, rlm *realm) {
	c := rlm.clients[r.PathValue("client")]
	if c == nil {
		writeError(w, http.StatusNotFound, "Could not find client")
		return
	}
	if c.roles[r.PathValue("role")] == nil {
		writeError(w, http.StatusNotFound, "Could not find role")
		return
	}
	writeJSON(w, http.StatusOK, c.roleRepresentation(r.PathValue("role")))
}

// getRoleMappings lists a user's roles of a client: the direct mappings, or
// with composite the effective ones, which include the default role viewer
// that Dash Enterprise gives every user.
func (s *Server) getRoleMappings(composite bool) adminHandler {
	return func(w http.ResponseWriter, r *http.Request, rlm *realm) {
		u, c, ok := userAndClient(w, r, rlm)
		if !ok {
			return
		}
		names := u.roleNames(c.id)
		if composite && c.roles["viewer"] != nil && !u.clientRoles[c.id]["viewer"] {
			names = append(names, "viewer")
		}
		out := []map[string]any{}
		for _, name := range names {
			out = append(out, c.roleRepresentation(name))
		}
		writeJSON(w, http.StatusOK, out)
	}
}

func (s *Server) addRoleMappings(w http.ResponseWriter, r *http.Request, rlm *realm) {
	u, c, ok := userAndClient(w, r, rlm)
	if !ok {
		return
	}
	var roles []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	if err := json.NewDecoder(r.Body).Decode(&roles); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "unknown_error", "Cannot parse the JSON")
		return
	}
	for _, want := range roles {
		have := c.roles[want.Name]
		if have == nil || have.id != want.ID {
			writeError(w, http.StatusNotFound, "Role not found")
			return
		}
	}
	for _, want := range roles {
		u.grant(c.id, want.Name) // granting a role the user has is a no-op, as in Keycloak
	}
	w.WriteHeader(http.StatusNoContent)
}

func userAndClient(w http.ResponseWriter, r *http.Request, rlm *realm) (*user, *client, bool) {
	u := rlm.users[r.PathValue("id")]
	if u == nil {
		writeError(w, http.StatusNotFound, "User not found")
		return nil, nil, false
	}
	c := rlm.clients[r.PathValue("client")]
	if c == nil {
		writeError(w, http.StatusNotFound, "Client not found")
		return nil, nil, false
	}
	return u, c, true
}
