package git

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

// setup is the start of git.py's main: the git program, the ssh options,
// the umask, the repository's address and dest made absolute on the host.
func (j *job) setup() error {
	if err := j.findGit(); err != nil {
		return err
	}
	if err := j.expandPaths(j.o.KeyFile, j.o.Archive); err != nil {
		return err
	}
	ssh, err := j.sshOptions()
	if err != nil {
		return err
	}
	var prelude strings.Builder
	if u, ok := j.o.Umask.(string); ok {
		fmt.Fprintf(&prelude, "umask %s; ", hostcmd.Quote(u))
	}
	// git.py screenscrapes git's output in the C locale
	prelude.WriteString("LANG=C LC_ALL=C LC_MESSAGES=C LC_CTYPE=C ")
	j.prelude = prelude.String()
	if err := j.checkVersion(); err != nil {
		return err
	}
	// GIT_SSH_COMMAND is set_git_ssh_env's, after git --version, on the ssh
	// command the host's environment names
	fmt.Fprintf(&prelude, `GIT_SSH_COMMAND="${GIT_SSH-${GIT_SSH_COMMAND-ssh}}"%s `, hostcmd.Quote(" "+ssh))
	j.prelude = prelude.String()

	j.repo = j.o.Repo
	if strings.HasPrefix(j.repo, "~") {
		if j.repo, err = hostcmd.ExpandUser(j.ctx, j.h, j.repo); err != nil {
			return err
		}
	}
	if strings.HasPrefix(j.repo, "/") { // depth and the like need a protocol
		j.repo = "file://" + j.repo
	}
	if j.o.Dest != nil && *j.o.Dest != "" {
		if j.dest, err = j.absolute(*j.o.Dest); err != nil {
			return err
		}
	}
	if j.o.SeparateGitDir != nil {
		if *j.o.SeparateGitDir, err = j.absolute(*j.o.SeparateGitDir); err != nil {
			return err
		}
	}
	return nil
}

// expandPaths expands ~ in path options (AnsibleModule's type path).
func (j *job) expandPaths(paths ...*string) error {
	for _, p := range paths {
		if p != nil && strings.HasPrefix(*p, "~") {
			var err error
			if *p, err = hostcmd.ExpandUser(j.ctx, j.h, *p); err != nil {
				return err
			}
		}
	}
	return nil
}

// findGit is executable, or the git on the host's PATH (get_bin_path).
func (j *job) findGit() error {
	if j.o.Executable != nil && *j.o.Executable != "" {
		if err := j.expandPaths(j.o.Executable); err != nil {
			return err
		}
		j.git = *j.o.Executable
		return nil
	}
	out, err := hostcmd.Query(j.ctx, j.h, `command -v git || { printf '%s' "$PATH" >&2; exit 1; }`)
	if err != nil {
		return err
	}
	if out.RC != 0 {
		return fail(fmt.Sprintf("Failed to find required executable \"git\" in paths: %s", out.Stderr))
	}
	j.git = strings.TrimSpace(out.Stdout)
	return nil
}

// sshOptions are the options main and set_git_ssh_env give git's ssh:
// the host key policy, BatchMode (no prompt ever), the key file.
func (j *job) sshOptions() (string, error) {
	opts := ""
	userOpts := j.o.SSHOpts != nil
	if userOpts {
		opts = *j.o.SSHOpts
	}
	policy := ""
	if j.o.AcceptHostkey {
		policy = "-o StrictHostKeyChecking=no"
	}
	if j.o.AcceptNewhostkey {
		ok, err := j.sshAcceptsNew()
		if err != nil {
			return "", err
		}
		if ok {
			policy = "-o StrictHostKeyChecking=accept-new"
		} else {
			j.warn("Your ssh client does not support accept_newhostkey option, therefore it cannot be used.")
		}
	}
	if policy != "" {
		switch {
		case !userOpts:
			opts, userOpts = policy, true
		case !strings.Contains(opts, "-o StrictHostKeyChecking=no") && !strings.Contains(opts, "-o StrictHostKeyChecking=accept-new"):
			opts += " " + policy
		}
	}
	if userOpts {
		opts = " " + opts // GIT_SSH_OPTS (unset) + ' ' + ssh_opts
	}
	if j.o.AcceptHostkey && !strings.Contains(opts, "StrictHostKeyChecking=no") {
		opts += " -o StrictHostKeyChecking=no"
	}
	if !strings.Contains(opts, "BatchMode=yes") {
		opts += " -o BatchMode=yes"
	}
	if j.o.KeyFile != nil && *j.o.KeyFile != "" {
		if key := "-i " + *j.o.KeyFile; !strings.Contains(opts, key) {
			opts += "  " + key
		}
		if !strings.Contains(opts, "IdentitiesOnly=yes") {
			opts += " -o IdentitiesOnly=yes"
		}
	}
	return opts, nil
}

// sshAcceptsNew is ssh_supports_acceptnewhostkey.
func (j *job) sshAcceptsNew() (bool, error) {
	out, err := hostcmd.Query(j.ctx, j.h, "command -v ssh >/dev/null || exit 127; ssh -o StrictHostKeyChecking=accept-new -V")
	switch {
	case err != nil:
		return false, err
	case out.RC == 127:
		return false, fail("Remote host is missing ssh command, so you cannot use acceptnewhostkey option.",
			"details", "Failed to find required executable \"ssh\"")
	}
	return out.RC == 0, nil
}

// absolute is os.path.abspath of a path option on the host, ~ expanded.
func (j *job) absolute(p string) (string, error) {
	if strings.HasPrefix(p, "~") {
		return hostcmd.ExpandUser(j.ctx, j.h, p)
	}
	if path.IsAbs(p) {
		return path.Clean(p), nil
	}
	out, err := hostcmd.Query(j.ctx, j.h, `printf '%s' "$PWD"`)
	if err != nil {
		return "", err
	}
	return path.Join(out.Stdout, p), nil
}

// checkVersion is git.py's use of git --version: options an old git
// lacks are dropped with a warning, and an unknown version fails them.
func (j *job) checkVersion() error {
	out, err := j.query("", "--version")
	if err != nil {
		return err
	}
	version, known := parseVersion(out)
	if !known && (j.o.SingleBranch || j.o.SeparateGitDir != nil) {
		return fail("Cannot find git executable at " + j.git)
	}
	if j.o.Depth != nil && known && olderThan(version, 1, 9, 1) {
		j.warn("git version is too old to fully support the depth argument. Falling back to full checkouts.")
		j.o.Depth = nil
	}
	if j.o.SingleBranch && olderThan(version, 1, 7, 10) {
		j.warn(fmt.Sprintf("git version '%s' is too old to use 'single-branch'. Ignoring.", strings.Join(version, ".")))
		j.o.SingleBranch = false
	}
	if j.o.SeparateGitDir != nil && olderThan(version, 1, 7, 5) {
		return fail("ferry's git needs git 1.7.5 or later on the host for separate_git_dir")
	}
	return nil
}

// parseVersion reads git --version's "git version 2.39.2".
func parseVersion(out modules.Output) ([]string, bool) {
	_, v, found := strings.Cut(strings.TrimSpace(out.Stdout), "git version ")
	if out.RC != 0 || !found {
		return nil, false
	}
	return strings.Split(v, "."), true
}

// olderThan compares a version's leading numbers, as LooseVersion does.
func olderThan(version []string, want ...int) bool {
	for i, w := range want {
		if i >= len(version) {
			return true
		}
		n, err := strconv.Atoi(version[i])
		if err != nil || n != w {
			return err == nil && n < w
		}
	}
	return false
}
