package keycloak

import (
	"errors"
	"fmt"
	"github.com/ferry-sh/ferry/modules"
	"strings"
)

// keycloakArgs are the module's arguments as a playbook gives them;
// keycloakOptionsOf turns them into keycloakOptions.
type keycloakArgs struct {
	Server         string             `opt:"server" doc:"Dash Enterprise's host name, e.g. dash.example.com: Keycloak is https://auth-<server>."`
	URL            string             `opt:"url" doc:"Keycloak's address when it is not https://auth-<server>, e.g. https://auth-dash.example.com:8443, without the /auth path prefix."`
	PathPrefix     string             `opt:"path_prefix" default:"auto" choices:"auto,,/auth" doc:"Keycloak's context path: /auth (legacy Keycloak, as Dash Enterprise 5 runs), \"\" (Keycloak 17 and later) or auto: try <url>/auth, then <url>, asking each for the admin realm's OpenID configuration."`
	DialViaHost    string             `opt:"dial_via_host" default:"auto" choices:"auto,true,false" doc:"Reach Keycloak through the host's connection (SSH): the host connects to node_address and the TLS name and Host header stay Keycloak's name. auto does so when Keycloak's name does not resolve on the machine running ferry."`
	NodeAddress    string             `opt:"node_address" doc:"Where the host connects when dial_via_host applies: host[:port], port 443 by default. Default: the InternalIP of the cluster's node (its ingress), read from the Kubernetes API."`
	CAFile         string             `opt:"ca_file" doc:"PEM file on the controller with the CA that signed Keycloak's certificate (your internal CA), trusted besides the system's. A relative path is looked up in <playbook dir>/files, then in the playbook dir."`
	Kubeconfig     string             `opt:"kubeconfig" default:"/etc/kubernetes/admin.conf" doc:"The cluster's kubeconfig on the host, read to fetch the Keycloak admin credentials (root's file: the task may need become: true)."`
	AdminSecret    *keycloakSecretRef `opt:"admin_secret" doc:"Where the Keycloak administrator's credentials are: a Secret of the cluster, as a mapping of the entries below; entries not given keep their defaults."`
	AdminRealm     string             `opt:"admin_realm" default:"master" doc:"The realm the administrator logs in to."`
	Realm          string             `opt:"realm" default:"dash" doc:"The realm of Dash Enterprise's users."`
	ClientID       string             `opt:"client_id" default:"dash" doc:"The client whose roles are granted (its clientId, not its internal id)."`
	Username       string             `opt:"username,required" doc:"The user's name; lowercased, because Dash Enterprise misapplies permissions to names with capitals (a known issue) and Keycloak stores names in lower case."`
	Password       string             `opt:"password,secret" doc:"The user's password; never shown. Needed to create the user."`
	UpdatePassword string             `opt:"update_password" default:"on_create" choices:"on_create,always" doc:"on_create sets the password only when this task creates the user; always sets it on every run (reported as a change every run, unless password_probe shows it already matches)."`
	PasswordProbe  bool               `opt:"password_probe" default:"no" doc:"With update_password: always, first try logging in as the user (admin-cli, direct grant) and leave a password that works alone. Off by default: a failed probe counts towards Keycloak's brute-force lockout. A temporary password never passes the probe (Keycloak refuses the login until it is changed), so it is set again on every run."`
	Temporary      bool               `opt:"temporary" default:"no" doc:"Make the password temporary: the user must change it at first login."`
	Email          string             `opt:"email" doc:"Email address, set when the user is created."`
	FirstName      string             `opt:"first_name" doc:"First name, set when the user is created."`
	LastName       string             `opt:"last_name" doc:"Last name, set when the user is created."`
	ClientRoles    []string           `opt:"client_roles" default:"admin,licensed_user" doc:"Roles of client_id the user must have; roles it has already are left, others it has are not removed. licensed_user (needed to deploy apps) takes a license seat; leave it out for users who only view apps."`
	Timeout        int                `opt:"timeout" default:"30" kind:"seconds" doc:"Seconds allowed for each request to Keycloak."`
}

// keycloakSecretRef says where the administrator's credentials are
// (admin_secret). Where Dash Enterprise keeps them: the password key is from
// Plotly's install guide; the username key is the legacy jboss/keycloak
// image's variable, and absent in practice, hence username_default.
type keycloakSecretRef struct {
	Namespace       string `opt:"namespace,nonempty" default:"plotly-system" doc:"The Secret's namespace."`
	Name            string `opt:"name,nonempty" default:"keycloak-secrets" doc:"The Secret's name."`
	PasswordKey     string `opt:"password_key,nonempty" default:"KEYCLOAK_PASSWORD" doc:"The Secret's key holding the administrator's password."`
	UsernameKey     string `opt:"username_key,nonempty" default:"KEYCLOAK_USER" doc:"The Secret's key holding the administrator's name, used when the Secret has it."`
	UsernameDefault string `opt:"username_default,nonempty" default:"admin" doc:"The administrator's name when the Secret has no username_key."`
}

// adminSecret is admin_secret, its defaults when it is not given, each
// entry trimmed.
func (a keycloakArgs) adminSecret() (keycloakSecretRef, error) {
	ref, err := modules.Decode[keycloakSecretRef](modules.Args{})
	if a.AdminSecret != nil {
		ref, err = *a.AdminSecret, nil
	}
	for _, entry := range []*string{&ref.Namespace, &ref.Name, &ref.PasswordKey, &ref.UsernameKey, &ref.UsernameDefault} {
		*entry = strings.TrimSpace(*entry)
	}
	return ref, err
}

// OptionChecks are the rules beyond each argument's type, so that `ferry
// validate` reports a bad value before anything runs.
func (keycloakArgs) OptionChecks() map[string]func(any) error {
	return map[string]func(any) error{
		"server":       checkKeycloakServer,
		"url":          checkKeycloakURL,
		"node_address": checkNodeAddress,
		"admin_realm":  checkBareName("admin_realm"),
		"realm":        checkBareName("realm"),
		"client_id":    checkBareName("client_id"),
		"username":     checkBareName("username"),
		"client_roles": checkRoles,
	}
}

// checkProbeNeedsAlways: with on_create an existing user's password is
// never touched, so there is nothing for the probe to spare.
func checkProbeNeedsAlways(args modules.Args) error {
	if args.Bool("password_probe") && args.String("update_password") != "always" {
		return errors.New("password_probe only applies with update_password: always (with on_create an existing user's password is never touched)")
	}
	return nil
}

func checkKeycloakServer(v any) error {
	if s := fmt.Sprint(v); s != "" {
		_, _, err := keycloakURL(s, "")
		return err
	}
	return nil
}

func checkKeycloakURL(v any) error {
	_, _, err := keycloakURL("", fmt.Sprint(v))
	return err
}

func checkNodeAddress(v any) error {
	s := strings.TrimSpace(fmt.Sprint(v))
	if _, err := hostPortDefault443(s); s != "" && err != nil {
		return fmt.Errorf("node_address %q is not host[:port] (e.g. 10.0.0.5 or 10.0.0.5:443)", s)
	}
	return nil
}

// checkBareName refuses a realm, client or user name that would change the
// admin API's path.
func checkBareName(name string) func(any) error {
	return func(v any) error {
		s := strings.TrimSpace(fmt.Sprint(v))
		if s == "" || strings.ContainsAny(s, "/?#") {
			return fmt.Errorf("%s %q is empty or has a '/', '?' or '#'; give the bare name", name, s)
		}
		return nil
	}
}

// checkRoles refuses an entry that is not a name: a mapping such as
// {name: admin} would otherwise be read as the text "map[name:admin]" and
// fail only at Keycloak.
func checkRoles(v any) error {
	l, _ := v.([]any)
	for _, item := range l {
		switch item.(type) {
		case map[string]any, []any:
			return fmt.Errorf("client_roles entry %v is %s; give each role by its name, e.g. [admin, licensed_user]", item, modules.TypeName(item))
		}
	}
	_, err := roleNames(modules.ToStrings(l))
	return err
}
