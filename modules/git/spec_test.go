package git_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/modules"
	_ "github.com/ferry-sh/ferry/modules/git"
)

// TestGitRefusesBadArgumentsBeforeTheRun: what git.py fails at run time
// without looking at the host (no dest, archive_prefix alone, an archive
// of no known format, both host key policies, a umask that is not a quoted
// octal string) is refused by validation, naming the argument and what to
// give; a valid task passes.
func TestGitRefusesBadArgumentsBeforeTheRun(t *testing.T) {
	m, ok := modules.Lookup("git")
	if !ok {
		t.Fatal("git is not registered")
	}
	spec := m.Spec()
	for _, c := range []struct {
		args      map[string]any
		arg, want string
	}{
		{map[string]any{"repo": "/srv/r.git"}, "dest", "unless clone=no"},
		{map[string]any{"repo": "/srv/r.git", "dest": "/d", "archive_prefix": "p/"}, "archive_prefix", "needs archive"},
		{map[string]any{"repo": "/srv/r.git", "dest": "/d", "archive": "/out/r.rar"}, "archive", ".tar.gz"},
		{map[string]any{"repo": "/srv/r.git", "dest": "/d", "accept_hostkey": true, "accept_newhostkey": true}, "accept_hostkey", "accept_newhostkey"},
		{map[string]any{"repo": "/srv/r.git", "dest": "/d", "umask": 18}, "umask", "quoted octal"},
		{map[string]any{"repo": "/srv/r.git", "dest": "/d", "umask": "0982"}, "umask", "octal"},
	} {
		errs := spec.Validate(c.args)
		if len(errs) != 1 {
			t.Errorf("%v: %d errors %v, want one about %s", c.args, len(errs), errs, c.arg)
			continue
		}
		var ae *modules.ArgError
		if !errors.As(errs[0], &ae) || ae.Arg != c.arg || !strings.Contains(ae.Error(), c.want) {
			t.Errorf("%v: %v, want an error of %s saying %q", c.args, errs[0], c.arg, c.want)
		}
	}
	for _, ok := range []map[string]any{
		{"repo": "/srv/r.git", "clone": false},
		{"name": "https://example.com/r.git", "dest": "/d", "archive": "/out/r.tar.gz", "archive_prefix": "r/", "umask": "0022"},
		{"repo": "/srv/r.git", "dest": "{{ d }}"},
	} {
		if errs := spec.Validate(ok); len(errs) > 0 {
			t.Errorf("%v refused: %v", ok, errs)
		}
	}
}
