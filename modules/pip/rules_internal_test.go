package pip

import (
	"strings"
	"testing"
)

// TestArgumentErrorsBeforeTheRun: pip.py's own argument failures are
// refused when the task is checked, each naming what to do.
func TestArgumentErrorsBeforeTheRun(t *testing.T) {
	spec := pipModule{}.Spec()
	for _, c := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"name": "foo", "version": "1.0", "state": "latest"}, "version is incompatible with state=latest"},
		{map[string]any{"name": []any{"foo", "bar"}, "version": "1.0"}, "'version' argument is ambiguous"},
		{map[string]any{"name": "foo>=1.0", "version": "1.0"}, "conflicts with the version specifier"},
		{map[string]any{"name": "foo", "virtualenv_python": "python3", "virtualenv_command": "python3 -m venv"}, "virtualenv_python should not be used"},
		{map[string]any{"name": "foo", "umask": "022x"}, "umask must be an octal integer"},
		{map[string]any{"name": "foo", "requirements": "r.txt"}, "exactly one of name, requirements"},
		{map[string]any{"name": "foo", "virtualenv": "/v", "executable": "pip3"}, "executable"},
	} {
		errs := spec.Validate(c.args)
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), c.want) {
			t.Errorf("%v: errors %v, want one saying %q", c.args, errs, c.want)
		}
	}
	for _, ok := range []map[string]any{
		{"name": "foo", "version": "1.0"}, {"name": "foo,bar"}, {"requirements": "r.txt", "umask": "0022"},
		{"name": "foo", "virtualenv_python": "python3.11", "virtualenv": "/v"},
	} {
		if errs := spec.Validate(ok); len(errs) > 0 {
			t.Errorf("%v: %v", ok, errs)
		}
	}
}
