package kurl

import "github.com/ferry-sh/ferry/modules"

// The value checks of kurl's arguments, declared on them (Arg.Check) so
// that `ferry validate` reports a bad value before anything runs.

func checkKurlFlags(v any) error {
	m, _ := v.(map[string]any)
	_, _, err := kurlFlagArgs(m)
	return err
}

func checkKurlPorts(v any) error {
	l, _ := v.([]any)
	_, err := parseKurlPorts(modules.ToStrings(l))
	return err
}
