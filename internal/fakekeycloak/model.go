package fakekeycloak

import (
	"sort"
	"strings"
	"time"
)

// realm holds one realm's users and clients.
type realm struct {
	name    string
	users   map[string]*user   // by id
	clients map[string]*client // by internal id
}

type user struct {
	id, username, email, firstName, lastName string
	enabled                                  bool
	password                                 string
	requiredActions                          []string
	createdMillis                            int64
	masterAdmin                              bool                       // may use the admin API
	clientRoles                              map[string]map[string]bool // client id -> role names
}

type client struct {
	id, clientID string
	roles        map[string]*role // by name
}

type role struct{ id, name string }

// token is an access token the server issued.
type token struct {
	realm, userID string
	expires       time.Time
}

func newRealm(name string) *realm {
	return &realm{name: name, users: map[string]*user{}, clients: map[string]*client{}}
}

// addUser stores a new enabled user; Keycloak keeps usernames in lower case.
func (r *realm) addUser(username string, now time.Time) *user {
	u := &user{id: newID(), username: strings.ToLower(username), enabled: true,
		createdMillis: now.UnixMilli(), clientRoles: map[string]map[string]bool{}}
	r.users[u.id] = u
	return u
}

func (r *realm) addClient(clientID string, roles []string) *client {
	c := &client{id: newID(), clientID: clientID, roles: map[string]*role{}}
	for _, name := range roles {
		c.roles[name] = &role{id: newID(), name: name}
	}
	r.clients[c.id] = c
	return c
}

func (r *realm) userByName(name string) *user {
	for _, u := range r.users {
		if strings.EqualFold(u.username, name) {
			return u
		}
	}
	return nil
}

func (r *realm) userByEmail(email string) *user {
	for _, u := range r.users {
		if u.email != "" && strings.EqualFold(u.email, email) {
			return u
		}
	}
	return nil
}

func (r *realm) clientByClientID(clientID string) *client {
	for _, c := range r.clients {
		if c.clientID == clientID {
			return c
		}
	}
	return nil
}

// sortedUsers returns the realm's users ordered by username, as Keycloak
// lists them.
func (r *realm) sortedUsers() []*user {
	out := make([]*user, 0, len(r.users))
	for _, u := range r.users {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].username < out[j].username })
	return out
}

func (u *user) grant(clientUUID, roleName string) {
	if u.clientRoles[clientUUID] == nil {
		u.clientRoles[clientUUID] = map[string]bool{}
	}
	u.clientRoles[clientUUID][roleName] = true
}

func (u *user) roleNames(clientUUID string) []string {
	var names []string
	for name := range u.clientRoles[clientUUID] {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func (u *user) public() User {
	return User{ID: u.id, Username: u.username, Email: u.email, FirstName: u.firstName, LastName: u.lastName,
		Enabled: u.enabled, RequiredActions: append([]string(nil), u.requiredActions...)}
}

// representation is the user as the admin API returns it.
func (u *user) representation() map[string]any {
	actions := u.requiredActions
	if actions == nil {
		actions = []string{}
	}
	rep := map[string]any{
		"id": u.id, "username": u.username, "enabled": u.enabled, "createdTimestamp": u.createdMillis,
		"totp": false, "emailVerified": false, "disableableCredentialTypes": []string{},
		"requiredActions": actions, "notBefore": 0,
		"access": map[string]bool{"manageGroupMembership": true, "view": true, "mapRoles": true, "impersonate": true, "manage": true},
	}
	for k, v := range map[string]string{"email": u.email, "firstName": u.firstName, "lastName": u.lastName} {
		if v != "" {
			rep[k] = v
		}
	}
	return rep
}

func (c *client) representation() map[string]any {
	return map[string]any{"id": c.id, "clientId": c.clientID, "name": c.clientID, "enabled": true,
		"publicClient": true, "protocol": "openid-connect", "standardFlowEnabled": true}
}

func (c *client) roleRepresentation(name string) map[string]any {
	r := c.roles[name]
	return map[string]any{"id": r.id, "name": r.name, "composite": false, "clientRole": true, "containerId": c.id, "attributes": map[string]any{}}
}
