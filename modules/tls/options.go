package tls

import (
	"fmt"
	"github.com/ferry-sh/ferry/modules"
)

// The value checks of tls's arguments, declared on them (Arg.Check) so that
// `ferry validate` reports a bad value before anything runs.

func checkExtraNames(v any) error {
	l, _ := v.([]any)
	for _, n := range modules.ToStrings(l) {
		if !modules.ValidHostname(hostName(n), true) {
			return fmt.Errorf("extra_names entry %q is not a host name", n)
		}
	}
	return nil
}

func checkMinDays(v any) error {
	if n, _ := v.(int); n < 0 {
		return fmt.Errorf("min_days is %d; give a number of days, 0 or more", n)
	}
	return nil
}

func checkConnectTimeout(v any) error {
	if n, _ := v.(int); n < 1 {
		return fmt.Errorf("connect_timeout is %d; give a number of seconds, 1 or more", n)
	}
	return nil
}

func checkConfigKeys(v any) error {
	m, _ := v.(map[string]any)
	_, err := configItemsFrom(m)
	return err
}

func checkVerifyAddress(v any) error {
	if s := fmt.Sprint(v); s != "" {
		_, err := parseVerifyAddress(s)
		return err
	}
	return nil
}
