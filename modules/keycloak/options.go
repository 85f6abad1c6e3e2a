package keycloak

import (
	"fmt"
	"github.com/ferry-sh/ferry/modules"
	"strings"
)

// The value checks of keycloak_user's arguments, declared on them
// (Arg.Check) so that `ferry validate` reports a bad value before anything
// runs.

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

func checkAdminSecret(v any) error {
	m, _ := v.(map[string]any)
	_, err := keycloakSecretFrom(m)
	return err
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

func checkRoles(v any) error {
	l, _ := v.([]any)
	_, err := roleNames(modules.ToStrings(l))
	return err
}
