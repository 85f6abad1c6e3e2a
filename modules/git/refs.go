package git

import (
	"fmt"
	"path"
	"strings"
)

// revParse is get_version: what ref names in dest, as git prints it.
func (j *job) revParse(ref string) (string, error) {
	out, err := j.query(j.dest, "rev-parse", ref)
	return strings.TrimRight(out.Stdout, "\n"), err
}

// repoPath is get_repo_path: the repository's directory, following a .git
// file (a submodule's, a separate git dir's).
func (j *job) repoPath(bare bool) (string, error) {
	repo := j.dest
	if !bare {
		repo = path.Join(j.dest, ".git")
	}
	isFile, err := j.exists("-f", repo)
	if err != nil || !isFile {
		return repo, err
	}
	data, err := j.readFile(repo)
	if err != nil {
		return "", err
	}
	prefix, gitdir, found := strings.Cut(strings.TrimRight(data, " \t\n\r"), "gitdir: ")
	if !found || prefix != "" {
		return "", invalidGitFile(".git file has invalid git dir reference format")
	}
	if !path.IsAbs(gitdir) {
		gitdir = path.Join(j.dest, gitdir)
	}
	if isDir, err := j.exists("-d", gitdir); err != nil || !isDir {
		return "", firstErr(err, invalidGitFile(gitdir+" is not a directory"))
	}
	return gitdir, nil
}

func invalidGitFile(details string) error {
	return fail("Current repo does not have a valid reference to a separate Git dir or it refers to the invalid path",
		"details", details)
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// headBranch is get_head_branch: the branch HEAD is on, or with a
// detached HEAD the branch of the remote's HEAD. Python's None, when
// there is none, is what git.py then passes to git, and so is it here.
func (j *job) headBranch(bare bool) (string, error) {
	repo, err := j.repoPath(bare)
	if err != nil {
		return "", err
	}
	headfile := path.Join(repo, "HEAD")
	detached, err := j.notABranch()
	if err != nil {
		return "", err
	}
	if detached {
		headfile = path.Join(repo, "refs", "remotes", j.o.Remote, "HEAD")
	}
	line, ok, err := j.firstLine(headfile)
	if err != nil || !ok || line == "" {
		return "None", err
	}
	return headSplitter(line, j.o.Remote), nil
}

// headSplitter is git.py's head_splitter of a HEAD file's line.
func headSplitter(line, remote string) string {
	line = strings.Replace(line, "refs/remotes/"+remote, "", 1)
	parts := strings.Split(line, " ")
	ref := strings.SplitN(parts[len(parts)-1], "/", 3)
	return strings.TrimRight(ref[len(ref)-1], "\n")
}

// branches is get_branches: git branch -a, a line each, trimmed.
func (j *job) branches() ([]string, error) {
	out, err := j.query(j.dest, "branch", "--no-color", "-a")
	if err != nil {
		return nil, err
	}
	if out.RC != 0 {
		return nil, commandFailure("Could not determine branch data - received "+out.Stdout, out, nil)
	}
	var list []string
	for _, l := range strings.Split(out.Stdout, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			list = append(list, l)
		}
	}
	return list, nil
}

// notABranch is is_not_a_branch: HEAD is detached.
func (j *job) notABranch() (bool, error) {
	list, err := j.branches()
	for _, b := range list {
		if strings.HasPrefix(b, "* ") && (strings.Contains(b, "no branch") || strings.Contains(b, "detached from") || strings.Contains(b, "detached at")) {
			return true, err
		}
	}
	return false, err
}

// isLocalBranch is is_local_branch.
func (j *job) isLocalBranch(branch string) (bool, error) {
	list, err := j.branches()
	for _, b := range list {
		if b == branch || b == "* "+branch {
			return true, err
		}
	}
	return false, err
}

// isRemoteBranch and isRemoteTag are git.py's: ls-remote's output holds
// version anywhere (a substring, as git.py tests it).
func (j *job) isRemoteBranch(remote, version string) (bool, error) {
	out, err := j.mustQuery(j.dest, "ls-remote", remote, "-h", "refs/heads/"+version)
	return err == nil && strings.Contains(out.Stdout, version), err
}

func (j *job) isRemoteTag(remote, version string) (bool, error) {
	out, err := j.mustQuery(j.dest, "ls-remote", remote, "-t", "refs/tags/"+version)
	return err == nil && strings.Contains(out.Stdout, version), err
}

// remoteHead is get_remote_head: the commit version names on remote,
// read with ls-remote (a SHA-1 is taken as it is).
func (j *job) remoteHead(remote string, bare bool) (string, error) {
	version := j.o.Version
	cloning := remote == j.o.Repo || remote == j.repo
	dir := j.dest
	if cloning {
		dir = ""
	}
	args, tag, err := j.remoteHeadQuery(remote, version, cloning, bare)
	if err != nil || args == nil {
		return version, err
	}
	out, err := j.mustQuery(dir, args...)
	if err != nil {
		return "", err
	}
	if out.Stdout == "" {
		return "", commandFailure("Could not determine remote revision for "+version, out, nil)
	}
	return firstField(pickTag(out.Stdout, version, tag)), nil
}

// remoteHeadQuery is the ls-remote that tells version's commit, tag true
// for a tag's; none for what looks like a SHA-1.
func (j *job) remoteHeadQuery(remote, version string, cloning, bare bool) (args []string, tag bool, err error) {
	if version == "HEAD" {
		if cloning {
			return []string{"ls-remote", remote, "-h", "HEAD"}, false, nil
		}
		head, err := j.headBranch(bare)
		return []string{"ls-remote", remote, "-h", "refs/heads/" + head}, false, err
	}
	if branch, err := j.isRemoteBranch(remote, version); err != nil || branch {
		return []string{"ls-remote", remote, "-h", "refs/heads/" + version}, false, err
	}
	if isTag, err := j.isRemoteTag(remote, version); err != nil || isTag {
		return []string{"ls-remote", remote, "-t", "refs/tags/" + version + "*"}, true, err
	}
	return nil, false, nil
}

// pickTag finds a tag's line in ls-remote's output: the dereferenced
// commit of an annotated tag (version^{}) if there is one.
func pickTag(out, version string, tag bool) string {
	if !tag {
		return out
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasSuffix(l, version+"^{}") {
			return l
		}
		if strings.HasSuffix(l, version) {
			out = l
		}
	}
	return out
}

func firstField(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

// remoteURL is get_remote_url; nil when git cannot tell (Python's None).
func (j *job) remoteURL() (any, error) {
	out, err := j.query(j.dest, "ls-remote", "--get-url", j.o.Remote)
	if err != nil || out.RC != 0 {
		return nil, err
	}
	return strings.TrimRight(out.Stdout, "\n"), nil
}

// sameRepo is git.py's test that the remote's URL is repo, as it is or
// normalized (unfrackgitpath).
func sameRepo(url, repo string) bool {
	return url == repo || path.Clean(url) == path.Clean(repo)
}

// remoteURLChanged is check mode's prediction of set_remote_url: the URL
// (as Python's `and` returns it) when it differs from repo, else false.
func (j *job) remoteURLChanged() (any, error) {
	url, err := j.remoteURL()
	s, _ := url.(string)
	if err != nil || s == "" {
		return url, err
	}
	return !sameRepo(s, j.repo), nil
}

// setRemoteURL is set_remote_url: the remote's URL made repo; true when it
// was another (and git could tell).
func (j *job) setRemoteURL() (bool, error) {
	url, err := j.remoteURL()
	if err != nil {
		return false, err
	}
	if s, ok := url.(string); ok && sameRepo(s, j.repo) {
		return false, nil
	}
	out, err := j.act(j.dest, "remote", "set-url", j.o.Remote, j.repo)
	if err != nil {
		return false, err
	}
	if out.RC != 0 {
		return false, fail(fmt.Sprintf("Failed to set a new url %s for %s: %s %s", j.repo, j.o.Remote, out.Stdout, out.Stderr))
	}
	return url != nil, nil
}
