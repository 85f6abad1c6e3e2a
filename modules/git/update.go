package git

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/ferry-sh/ferry/internal/anylist"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

// clone is git.py's clone: git clone with what version, depth and
// single_branch ask for, then the remote's name for a bare clone and the
// refspec.
func (j *job) clone() error {
	o := j.o
	args := []string{"clone"}
	if o.Bare {
		args = append(args, "--bare")
	} else {
		args = append(args, "--origin", o.Remote)
	}
	branchOrTag, err := j.isBranchOrTag(j.repo, o.Version)
	if err != nil {
		return err
	}
	if depth := j.depth(); depth != "" {
		switch {
		case o.Version == "HEAD" || o.Refspec != nil:
			args = append(args, "--depth", depth)
		case branchOrTag:
			args = append(args, "--depth", depth, "--branch", o.Version)
		default:
			j.warn("Ignoring depth argument. Shallow clones are only available for HEAD, branches, tags or in combination with refspec.")
		}
	}
	if o.Reference != nil {
		args = append(args, "--reference", *o.Reference)
	}
	if o.SingleBranch {
		args = append(args, "--single-branch")
		if branchOrTag {
			args = append(args, "--branch", o.Version)
		}
	}
	if o.SeparateGitDir != nil {
		args = append(args, "--separate-git-dir="+*o.SeparateGitDir)
	}
	args = append(args, j.repo, j.dest)
	return j.effect("clone "+j.repo+" into "+j.dest, func(w modules.Writer) error {
		parent := path.Dir(j.dest)
		if _, err := hostcmd.Write(j.ctx, w, j.h, "mkdir -p -- "+hostcmd.Quote(parent)+" 2>/dev/null", nil); err != nil {
			return err
		}
		if err := j.mustWrite(w, parent, args...); err != nil {
			return err
		}
		if o.Bare && o.Remote != "origin" {
			if err := j.mustWrite(w, j.dest, "remote", "add", o.Remote, j.repo); err != nil {
				return err
			}
		}
		if o.Refspec != nil {
			fetch := []string{"fetch"}
			if depth := j.depth(); depth != "" {
				fetch = append(fetch, "--depth", depth)
			}
			if err := j.mustWrite(w, j.dest, append(fetch, o.Remote, *o.Refspec)...); err != nil {
				return err
			}
		}
		return j.verify(o.Version)
	})
}

// mustWrite runs a changing git command with check_rc.
func (j *job) mustWrite(w modules.Writer, dir string, args ...string) error {
	out, err := j.write(w, dir, args...)
	if err == nil && out.RC != 0 {
		err = j.checkRC(out, args)
	}
	return err
}

// depth is the depth option as git takes it, "" for none (or 0).
func (j *job) depth() string {
	if j.o.Depth == nil || *j.o.Depth == 0 {
		return ""
	}
	return strconv.Itoa(*j.o.Depth)
}

func (j *job) isBranchOrTag(remote, version string) (bool, error) {
	if branch, err := j.isRemoteBranch(remote, version); err != nil || branch {
		return branch, err
	}
	return j.isRemoteTag(remote, version)
}

// untracked is git status's line for a file git does not track.
var untracked = regexp.MustCompile(`^\?\?`)

// localMods is has_local_mods: a tracked file changed in the working tree
// (untracked files do not count).
func (j *job) localMods() (bool, error) {
	if j.o.Bare {
		return false, nil
	}
	out, err := j.query(j.dest, "status", "--porcelain")
	for _, l := range strings.Split(strings.TrimRight(out.Stdout, "\n"), "\n") {
		if l != "" && !untracked.MatchString(l) {
			return true, err
		}
	}
	return false, err
}

// reset is git.py's reset: local modifications discarded, a change.
func (j *job) reset() error {
	return j.effect("discard the local modifications in "+j.dest, func(w modules.Writer) error {
		return j.mustWrite(w, j.dest, "reset", "--hard", "HEAD")
	})
}

// fetch is git.py's fetch of version: the fewest refs a shallow
// repository needs, else every branch and tag.
func (j *job) fetch(version string) error {
	if _, err := j.setRemoteURL(); err != nil {
		return err
	}
	o := j.o
	args := []string{"fetch"}
	refspecs, err := j.shallowRefspecs(version)
	if err != nil {
		return err
	}
	if len(refspecs) > 0 {
		args = append(args, "--depth", j.depth())
	} else {
		if o.Bare {
			refspecs = []string{"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"}
		} else {
			args = append(args, "--tags")
		}
		if o.Refspec != nil {
			refspecs = append(refspecs, *o.Refspec)
		}
	}
	if o.Force {
		args = append(args, "--force")
	}
	args = append(append(args, o.Remote), refspecs...)
	out, err := j.act(j.dest, args...)
	if err == nil && out.RC != 0 {
		cmd := anylist.Of(append([]string{j.git}, args...)) // git.py's cmd here is its list
		err = fail(fmt.Sprintf("Failed to download remote objects and refs: %s %s", out.Stdout, out.Stderr), "cmd", cmd)
	}
	return err
}

// shallowRefspecs are the refs a fetch with depth asks for: the
// refspec, HEAD's branch, version's branch or tag; none without depth or
// for a SHA-1 (then everything is fetched).
func (j *job) shallowRefspecs(version string) ([]string, error) {
	if j.depth() == "" {
		return nil, nil
	}
	current, err := j.headBranch(false)
	if err != nil {
		return nil, err
	}
	if j.o.Refspec != nil {
		return []string{*j.o.Refspec}, nil
	}
	if version == "HEAD" {
		return []string{current}, nil
	}
	if branch, err := j.isRemoteBranch(j.repo, version); err != nil || branch {
		var specs []string
		if current != version {
			specs = append(specs, fmt.Sprintf("+refs/heads/%s:refs/heads/%s", version, version))
		}
		return append(specs, fmt.Sprintf("+refs/heads/%s:refs/remotes/%s/%s", version, j.o.Remote, version)), err
	}
	if tag, err := j.isRemoteTag(j.repo, version); err != nil || tag {
		return []string{"+refs/tags/" + version + ":refs/tags/" + version}, err
	}
	return nil, nil
}

// switchVersion is switch_version: HEAD's branch or version's checked
// out and reset to the remote's, or a tag or SHA-1 checked out.
func (j *job) switchVersion() error {
	version, remote := j.o.Version, j.o.Remote
	var last []string
	branch := ""
	if version == "HEAD" {
		var err error
		if branch, err = j.headBranch(false); err != nil {
			return err
		}
		if err := j.checkout(branch); err != nil {
			return err
		}
		last = []string{"reset", "--hard", remote + "/" + branch, "--"}
	} else {
		var err error
		if last, err = j.switchTo(version); err != nil {
			return err
		}
	}
	out, err := j.act(j.dest, last...)
	if err != nil {
		return err
	}
	if out.RC != 0 {
		msg := "Failed to checkout " + version
		if version == "HEAD" {
			msg = "Failed to checkout branch " + branch
		}
		return commandFailure(msg, out, j.git+" "+strings.Join(last, " "))
	}
	return j.verify(version)
}

// switchTo is switch_version's command for a version that is not HEAD:
// a remote branch is tracked (fetched first into a shallow clone), a
// local one checked out and reset; anything else checked out.
func (j *job) switchTo(version string) ([]string, error) {
	remoteBranch, err := j.isRemoteBranch(j.o.Remote, version)
	if err != nil || !remoteBranch {
		return []string{"checkout", "--force", version}, err
	}
	local, err := j.isLocalBranch(version)
	if err != nil {
		return nil, err
	}
	if j.depth() != "" && !local {
		if err := j.fetchBranch(version); err != nil {
			return nil, err
		}
		if local, err = j.isLocalBranch(version); err != nil {
			return nil, err
		}
	}
	if !local {
		return []string{"checkout", "--track", "-b", version, j.o.Remote + "/" + version}, nil
	}
	if err := j.checkout(version); err != nil {
		return nil, err
	}
	return []string{"reset", "--hard", j.o.Remote + "/" + version}, nil
}

// checkout is git checkout --force of a branch.
func (j *job) checkout(branch string) error {
	out, err := j.act(j.dest, "checkout", "--force", branch)
	if err == nil && out.RC != 0 {
		err = commandFailure("Failed to checkout branch "+branch, out, nil)
	}
	return err
}

// fetchBranch is set_remote_branch: a branch a shallow clone lacks,
// fetched as a local and a remote branch.
func (j *job) fetchBranch(version string) error {
	out, err := j.act(j.dest, "fetch", "--depth="+j.depth(), j.o.Remote,
		fmt.Sprintf("+refs/heads/%s:refs/heads/%s", version, version),
		fmt.Sprintf("+refs/heads/%s:refs/remotes/%s/%s", version, j.o.Remote, version))
	if err == nil && out.RC != 0 {
		err = commandFailure("Failed to fetch branch from remote: "+version, out, nil)
	}
	return err
}

// relocate is git.py's move of an existing repository's .git directory to
// separate_git_dir, with a .git file naming it.
func (j *job) relocate(repo string) (string, error) {
	target := j.o.SeparateGitDir
	if target == nil || *target == repo {
		return repo, nil
	}
	if exists, err := j.exists("-e", repo); err != nil || !exists {
		return repo, err
	}
	j.changed = true
	if j.h.Check {
		return repo, nil
	}
	if exists, err := j.exists("-e", *target); err != nil || exists {
		return "", firstErr(err, fail(fmt.Sprintf("Separate-git-dir path %s already exists.", *target)))
	}
	script := fmt.Sprintf("mv -- %s %s && printf 'gitdir: %%s' %s > %s", hostcmd.Quote(repo), hostcmd.Quote(*target),
		hostcmd.Quote(*target), hostcmd.Quote(path.Join(j.dest, ".git")))
	err := j.effect("move "+repo+" to "+*target, func(w modules.Writer) error {
		out, err := hostcmd.Write(j.ctx, w, j.h, script, nil)
		if err == nil && out.RC != 0 {
			err = fail("Unable to move git dir. " + strings.TrimSpace(out.Stderr))
		}
		return err
	})
	j.data["git_dir_before"], j.data["git_dir_now"] = repo, *target
	return *target, err
}
