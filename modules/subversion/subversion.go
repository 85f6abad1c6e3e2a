// Package subversion is Ansible's subversion module: a working copy (or an
// export) of a Subversion repository on the host, kept at a revision with
// the host's svn(1). It follows ansible-core 2.14's modules/subversion.py
// step by step: the same svn commands in the same order, the same reading
// of their output, so that the result (before, after, changed) and the
// working copy it leaves are Ansible's.
//
// The password reaches svn on its standard input (--password-from-stdin,
// svn 1.10 and later), never in its command line; an older svn, to which
// Ansible hands it as --password, fails the task instead.
package subversion

import (
	"context"
	"fmt"

	"github.com/ferry-sh/ferry/modules"
)

func init() { modules.Register(subversionModule{}) }

type subversionModule struct{}

type subversionOptions struct {
	Repo          string  `opt:"repo,required" aliases:"name,repository" doc:"The repository's URL (file://, svn://, svn+ssh://, https://)."`
	Dest          *string `opt:"dest" doc:"Where the working copy (or export) is on the host; required unless checkout, update and export are all false."`
	Revision      string  `opt:"revision" default:"HEAD" aliases:"rev,version" doc:"The revision to check out (a number or HEAD)."`
	Force         bool    `opt:"force" default:"false" doc:"Discard local modifications (svn revert); without it they fail the task. With export, overwrite an existing dest."`
	InPlace       bool    `opt:"in_place" default:"false" doc:"When dest exists and is no working copy, check out over it (svn checkout --force)."`
	Username      *string `opt:"username" doc:"svn's --username."`
	Password      *string `opt:"password,secret" doc:"The password, given to svn on its standard input (--password-from-stdin: svn 1.10 or later); masked in all output."`
	Executable    *string `opt:"executable" doc:"The svn program to run, instead of the first svn on the PATH."`
	Checkout      bool    `opt:"checkout" default:"true" doc:"Check out when dest does not exist; false leaves it missing."`
	Update        bool    `opt:"update" default:"true" doc:"Update an existing working copy; false leaves it as it is."`
	Export        bool    `opt:"export" default:"false" doc:"Export (svn export: no .svn) instead of checking out; runs every time."`
	Switch        bool    `opt:"switch" default:"true" doc:"Switch the working copy to repo (svn switch) before updating it."`
	ValidateCerts bool    `opt:"validate_certs" default:"false" doc:"Verify the server's certificate; false passes --trust-server-cert."`
}

func (subversionModule) Spec() modules.Spec {
	return modules.Spec{
		Name:    "subversion",
		Summary: "Check out, update or export a Subversion repository on the host",
		Args:    modules.OptionsOf[subversionOptions](),
		Check:   modules.CheckSupported,
		Rules:   subversionRules,
		Returns: []string{"changed", "before", "after"}, // subversion.py's exit_json
	}
}

// subversionRules is subversion.py's check that needs no host, made before
// the run.
var subversionRules = []modules.Rule{
	{Args: []string{"dest", "checkout", "update", "export"}, Check: func(a modules.Args) error {
		if a["dest"] == nil && (a["checkout"] != false || a["update"] != false || a["export"] == true) {
			return fmt.Errorf("the destination directory must be specified unless checkout=no, update=no, and export=no: give dest, or set checkout and update to false to only read the repository's revision")
		}
		return nil
	}},
}

// Run is subversion.py's main.
func (subversionModule) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[subversionOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	s, err := newSvn(ctx, h, o)
	if err != nil {
		return result(nil, err)
	}
	return result(s.run())
}
