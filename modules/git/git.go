// Package git is Ansible's git module (ansible.builtin.git): a clone of a
// repository kept at a version on the host, run with the host's git(1).
// It follows ansible-core 2.14's modules/git.py step by step, with the same
// git commands in the same order, so that the result (before, after,
// remote_url_changed...) and the repository it leaves are Ansible's; the
// deployment playbooks of ansible-for-devops, geerlingguy.git and
// ansible-lint's examples use it.
//
// Check mode changes nothing: git.py's ls-remote tells the remote's head.
// Where git.py fetches under --check --diff (to diff against a head it has
// not fetched yet), ferry does not: the diff then says that the new head is
// not there yet.
package git

import (
	"context"
	"fmt"
	"strconv"

	"github.com/ferry-sh/ferry/modules"
)

func init() { modules.Register(gitModule{}) }

type gitModule struct{}

type gitOptions struct {
	Repo             string   `opt:"repo,required,nonempty" aliases:"name" doc:"The repository's address: a URL (https://, ssh://, git@host:path, file://) or a path on the host."`
	Dest             *string  `opt:"dest" doc:"Where the clone is on the host; required unless clone is false."`
	Version          string   `opt:"version" default:"HEAD" doc:"What to check out: HEAD (the remote's default branch), a branch, a tag or a commit's SHA-1."`
	Remote           string   `opt:"remote" default:"origin" doc:"The name of the remote."`
	Refspec          *string  `opt:"refspec" doc:"A refspec to fetch as well (refs/pull/*, say), as git fetch takes it."`
	Reference        *string  `opt:"reference" doc:"A repository to borrow objects from (git clone --reference)."`
	Force            bool     `opt:"force" default:"false" doc:"Discard local modifications of tracked files (git reset --hard); without it they fail the task."`
	Depth            *int     `opt:"depth" doc:"Fetch only this many commits (a shallow clone): for HEAD, a branch or a tag."`
	Clone            bool     `opt:"clone" default:"true" doc:"Clone when dest has no repository; false only reports the remote's head."`
	Update           bool     `opt:"update" default:"true" doc:"Fetch and check out version; false leaves an existing clone as it is."`
	VerifyCommit     bool     `opt:"verify_commit" default:"false" doc:"Fail unless version's commit (or annotated tag) has a good GPG signature."`
	GPGWhitelist     []string `opt:"gpg_whitelist" doc:"With verify_commit, the fingerprints of the primary keys whose signatures are accepted."`
	AcceptHostkey    bool     `opt:"accept_hostkey" default:"false" doc:"Let ssh accept any host key of the remote (StrictHostKeyChecking=no)."`
	AcceptNewhostkey bool     `opt:"accept_newhostkey" default:"false" doc:"Let ssh accept a host key it does not know yet, never a changed one (StrictHostKeyChecking=accept-new)."`
	KeyFile          *string  `opt:"key_file" doc:"The private key ssh uses, a path on the host (ssh -i, IdentitiesOnly)."`
	SSHOpts          *string  `opt:"ssh_opts" doc:"More options for git's ssh (GIT_SSH_COMMAND), e.g. -o ProxyCommand=..."`
	Executable       *string  `opt:"executable" doc:"The git program to run, instead of the first git on the PATH."`
	Bare             bool     `opt:"bare" default:"false" doc:"Make a bare repository (no working tree) at dest."`
	Recursive        bool     `opt:"recursive" default:"true" doc:"Clone and update the submodules too."`
	SingleBranch     bool     `opt:"single_branch" default:"false" doc:"Clone only the history of version's branch or tag (git clone --single-branch)."`
	TrackSubmodules  bool     `opt:"track_submodules" default:"false" doc:"Update the submodules to their remote's master, not to the commits the repository records."`
	Umask            any      `opt:"umask" doc:"The umask (a quoted octal string, '0022') of what git writes."`
	Archive          *string  `opt:"archive" doc:"Also write version as an archive at this path on the host (.zip, .tar, .tar.gz or .tgz)."`
	ArchivePrefix    *string  `opt:"archive_prefix" doc:"The prefix of every path in the archive (git archive --prefix)."`
	SeparateGitDir   *string  `opt:"separate_git_dir" doc:"Keep the repository's .git directory at this path, with a .git file in dest naming it."`
}

// gitReturns is the order of git.py's result dict.
var gitReturns = []string{"changed", "warnings", "before", "msg", "remote_url_changed", "git_dir_before", "git_dir_now", "after", "diff", "submodules_changed"}

func (gitModule) Spec() modules.Spec {
	return modules.Spec{
		Name:      "git",
		Summary:   "Clone a git repository on the host and keep it at a version (branch, tag, commit)",
		Args:      modules.OptionsOf[gitOptions](),
		Check:     modules.CheckSupported,
		Exclusive: [][]string{{"separate_git_dir", "bare"}, {"accept_hostkey", "accept_newhostkey"}},
		Rules:     gitRules,
		Returns:   gitReturns,
	}
}

func (gitOptions) OptionChecks() map[string]func(any) error {
	return map[string]func(any) error{"umask": func(v any) error {
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("umask must be defined as a quoted octal integer: write umask: '0022'")
		}
		if _, err := strconv.ParseUint(s, 8, 32); err != nil {
			return fmt.Errorf("umask %q must be an octal integer, such as '0022'", s)
		}
		return nil
	}}
}

// Run is git.py's main: one of three paths (clone, keep, update), then the
// checkout of version, the submodules and the archive.
func (gitModule) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[gitOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	j := &job{ctx: ctx, h: h, o: o, data: map[string]any{}}
	err = j.run()
	return j.result(err)
}

// gitRules are git.py's checks of its arguments that need no host, made
// before the run: a missing dest, archive_prefix without archive, an
// archive whose name says no format.
var gitRules = []modules.Rule{
	{Args: []string{"dest", "clone"}, Check: func(a modules.Args) error {
		if a["dest"] == nil && a["clone"] != false {
			return fmt.Errorf("the destination directory must be specified unless clone=no: give dest, or clone: false to only read the remote's head")
		}
		return nil
	}},
	{Args: []string{"archive_prefix", "archive"}, Check: func(a modules.Args) error {
		if _, prefix := a["archive_prefix"]; prefix && a["archive"] == nil {
			return fmt.Errorf("archive_prefix needs archive: give the archive's path, or leave archive_prefix out")
		}
		return nil
	}},
	{Args: []string{"archive"}, Check: func(a modules.Args) error {
		if s, ok := a["archive"].(string); ok && archiveFormats[extension(s)] == "" {
			return fmt.Errorf("archive %q has no known extension: end it in .zip, .tar, .tar.gz or .tgz", s)
		}
		return nil
	}},
}
