package modules

import (
	"context"
	"slices"
	"strings"
)

// BestLocale is the locale Ansible's get_best_parsable_locale picks for a
// command whose output a module reads (tar, unzip): the first of its
// preferences that `locale -a` lists on the host, else C. Messages then
// read as Ansible's do (tar's quotes are ‘’ under C.UTF-8).
func BestLocale(ctx context.Context, h *Host) (string, error) {
	out, err := h.Query(ctx, Command{Argv: []string{"locale", "-a"}})
	if err != nil || out.RC != 0 {
		return "C", err
	}
	available := strings.Split(strings.TrimSpace(out.Stdout), "\n")
	for _, pref := range []string{"C.utf8", "C.UTF-8", "en_US.utf8", "en_US.UTF-8", "C", "POSIX"} {
		if slices.Contains(available, pref) {
			return pref, nil
		}
	}
	return "C", nil
}

// LocaleEnv sets every locale variable Ansible's modules set to loc.
func LocaleEnv(loc string) map[string]string {
	return map[string]string{"LANG": loc, "LC_ALL": loc, "LC_MESSAGES": loc, "LANGUAGE": loc}
}
