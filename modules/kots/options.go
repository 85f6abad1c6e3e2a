package kots

import (
	"fmt"
	"strings"
	"time"

	"github.com/ferry-sh/ferry/internal/shellquote"
)

// The value checks of kots_upload's arguments, declared on them (Arg.Check)
// so that `ferry validate` reports a bad value before anything runs.

func checkKotsBin(v any) error {
	s := fmt.Sprint(v)
	if kots, err := shellquote.Split(s); err != nil || len(kots) == 0 {
		return fmt.Errorf("kots_bin %q is not a command: %v", s, err)
	}
	return nil
}

// checkGoDuration checks a duration passed on to kots as it is.
func checkGoDuration(name string) func(any) error {
	return func(v any) error {
		s := fmt.Sprint(v)
		if _, err := time.ParseDuration(s); err != nil {
			return fmt.Errorf("%s %q is not a Go duration (e.g. 30m, 1h): %v", name, s, err)
		}
		return nil
	}
}

// checkDurationArg checks a duration ferry waits itself; positive ones must
// be more than 0.
func checkDurationArg(name string, positive bool) func(any) error {
	return func(v any) error {
		d, err := parseDurationArg(name, fmt.Sprint(v))
		if err == nil && positive && d <= 0 {
			return fmt.Errorf("%s must be more than 0", name)
		}
		return err
	}
}

func checkKotsPassword(v any) error {
	if pw := fmt.Sprint(v); pw != "" && (len(pw) < 6 || strings.ContainsAny(pw, "\r\n")) {
		return fmt.Errorf("admin_console_password must be at least 6 characters on one line, as KOTS requires")
	}
	return nil
}

func checkKotsNamespace(v any) error {
	if fmt.Sprint(v) == "" {
		return fmt.Errorf("namespace is empty; kots install would prompt for it and hang")
	}
	return nil
}

func checkConfigValues(v any) error {
	m, _ := v.(map[string]any)
	_, err := valuesFromArg(m)
	return err
}
