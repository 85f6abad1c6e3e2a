package limits

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// The value checks of limits' arguments, declared on them (Arg.Check) so
// that `ferry validate` reports a bad value before anything runs.

func checkLimit(name string) func(any) error {
	return func(v any) error {
		_, err := parseLimit(name, v)
		return err
	}
}

func checkPVCRule(v any) error {
	_, err := parsePVCRule(fmt.Sprint(v))
	return err
}

// checkNamespaces checks a list of namespace names; required lists must not
// be empty.
func checkNamespaces(name string, required bool) func(any) error {
	return func(v any) error {
		l, _ := v.([]any)
		names, err := namespaceList(name, l)
		if err == nil && required && len(names) == 0 {
			return fmt.Errorf("%s is empty; give the namespaces where Dash Enterprise runs apps", name)
		}
		return err
	}
}

func checkQuotaName(v any) error {
	name := fmt.Sprint(v)
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return fmt.Errorf("quota_name %q is not a valid object name: %s", name, strings.Join(errs, "; "))
	}
	return nil
}
