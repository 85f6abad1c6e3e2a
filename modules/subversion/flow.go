package subversion

import (
	"fmt"
	"strings"
)

// run is main's three paths: a new checkout or an export, an update of a
// working copy, a checkout over a directory in place; it returns the
// result dict.
func (s *svn) run() (map[string]any, error) {
	o := s.o
	if !o.Export && !o.Update && !o.Checkout {
		after, err := s.remoteRevision()
		return map[string]any{"after": after}, err
	}
	exists, err := s.exists()
	if err != nil {
		return nil, err
	}
	if o.Export || !exists {
		return s.fresh()
	}
	switch repo, err := s.isWorkingCopy(); {
	case err != nil:
		return nil, err
	case repo:
		return s.update()
	case o.InPlace:
		return s.inPlace()
	default:
		return nil, &failure{msg: fmt.Sprintf("ERROR: %s folder already exists, but its not a subversion repository.", s.dest)}
	}
}

// fresh checks out or exports into dest; under --check it only says so.
func (s *svn) fresh() (map[string]any, error) {
	o := s.o
	if s.h.Check {
		s.h.Report(fmt.Sprintf("%s %s at %s into %s", map[bool]string{true: "export", false: "check out"}[o.Export], o.Repo, o.Revision, s.dest))
		return map[string]any{}, nil
	}
	if !o.Export && !o.Checkout {
		return map[string]any{}, nil
	}
	var err error
	if o.Export {
		args := []string{"export"}
		if o.Force {
			args = append(args, "--force")
		}
		_, err = s.write(fmt.Sprintf("export %s at %s into %s", o.Repo, o.Revision, s.dest), append(args, "-r", o.Revision, o.Repo, s.dest)...)
	} else {
		_, err = s.write(fmt.Sprintf("check out %s at %s into %s", o.Repo, o.Revision, s.dest), "checkout", "-r", o.Revision, o.Repo, s.dest)
	}
	if err != nil {
		return nil, err
	}
	return s.finish(nil, true, false)
}

// update brings a working copy to revision: switched to repo first, local
// modifications reverted with force (else the task fails), then updated.
// Under --check it compares the revisions only.
func (s *svn) update() (map[string]any, error) {
	o := s.o
	if !o.Update {
		return map[string]any{}, nil
	}
	if s.h.Check {
		return s.checkUpdate()
	}
	before, err := s.revision()
	if err != nil {
		return nil, err
	}
	mods, err := s.localMods()
	if err != nil {
		return nil, err
	}
	changed := false
	if o.Switch {
		out, err := s.write(fmt.Sprintf("switch %s to %s at %s", s.dest, o.Repo, o.Revision), "switch", "--revision", o.Revision, o.Repo, s.dest)
		if err != nil {
			return nil, err
		}
		changed = anyChanged(out)
	}
	if mods {
		if !o.Force {
			return nil, &failure{msg: "ERROR: modified files exist in the repository."}
		}
		out, err := s.write("revert the local modifications of "+s.dest, "revert", "-R", s.dest)
		if err != nil {
			return nil, err
		}
		changed = reverted(out) || changed
	}
	out, err := s.write(fmt.Sprintf("update %s to %s", s.dest, o.Revision), "update", "-r", o.Revision, s.dest)
	if err != nil {
		return nil, err
	}
	return s.finish(before, anyChanged(out) || changed, mods)
}

// checkUpdate is update under --check: local modifications fail without
// force; changed when the working copy's revision is below revision's.
func (s *svn) checkUpdate() (map[string]any, error) {
	mods, err := s.localMods()
	if err != nil {
		return nil, err
	}
	if mods && !s.o.Force {
		return nil, &failure{msg: "ERROR: modified files exist in the repository."}
	}
	cur, _, err := s.info(s.dest)
	if err != nil {
		return nil, err
	}
	head, _, err := s.info("-r", s.o.Revision, s.dest)
	if err != nil {
		return nil, err
	}
	curRev, err1 := revisionNumber(cur)
	headRev, err2 := revisionNumber(head)
	if err1 != nil || err2 != nil {
		return nil, &failure{msg: fmt.Sprintf("cannot compare the revisions %q and %q of %s", cur, head, s.dest)}
	}
	if curRev < headRev {
		s.h.Report(fmt.Sprintf("update %s from %s to %s", s.dest, cur, head))
	}
	return map[string]any{"before": cur, "after": head}, nil
}

// inPlace checks out over a directory that is no working copy
// (checkout --force), reverting what differs with force.
func (s *svn) inPlace() (map[string]any, error) {
	o := s.o
	if s.h.Check {
		return s.checkInPlace()
	}
	if _, err := s.write(fmt.Sprintf("check out %s at %s over %s", o.Repo, o.Revision, s.dest), "checkout", "--force", "-r", o.Revision, o.Repo, s.dest); err != nil {
		return nil, err
	}
	mods, err := s.localMods()
	if err != nil {
		return nil, err
	}
	if mods && o.Force {
		if _, err := s.write("revert the local modifications of "+s.dest, "revert", "-R", s.dest); err != nil {
			return nil, err
		}
	}
	return s.finish(nil, true, mods)
}

// checkInPlace is inPlace under --check, where subversion.py checks out
// anyway (it has no check-mode branch there): ferry changes nothing and
// predicts the result, revision and URL from svn info of repo at revision.
func (s *svn) checkInPlace() (map[string]any, error) {
	rev, url, err := s.info("-r", s.o.Revision, s.o.Repo)
	if err != nil {
		return nil, err
	}
	s.h.Report(fmt.Sprintf("check out %s at %s over %s", s.o.Repo, s.o.Revision, s.dest))
	return map[string]any{"before": nil, "after": []any{rev, url}}, nil
}

// finish is main's end: an export reports changed alone; a working copy
// its revision and URL before and after, changed when files changed or
// were modified.
func (s *svn) finish(before []any, filesChanged, mods bool) (map[string]any, error) {
	if filesChanged || mods {
		for _, what := range s.effects {
			s.h.Report(what)
		}
	}
	if s.o.Export {
		return map[string]any{}, nil
	}
	after, err := s.revision()
	if err != nil {
		return nil, err
	}
	var b any
	if before != nil {
		b = before
	}
	return map[string]any{"before": b, "after": after}, nil
}

// exists is os.path.exists(dest).
func (s *svn) exists() (bool, error) {
	out, err := s.h.Query(s.ctx, s.testCommand("-e"))
	return err == nil && out.RC == 0, err
}

// isWorkingCopy is is_svn_repo: svn info of dest succeeds.
func (s *svn) isWorkingCopy() (bool, error) {
	out, err := s.command(true, "info", s.dest)
	return err == nil && out.RC == 0, err
}

// info is the revision line and URL line of svn info args.
func (s *svn) info(args ...string) (rev, url string, err error) {
	lines, err := s.read(append([]string{"info"}, args...)...)
	if err != nil {
		return "", "", err
	}
	url = "Unable to get URL"
	if m := urlRE.FindString(strings.Join(lines, "\n")); m != "" {
		url = m
	}
	return revisionLine(lines, "Unable to get revision"), url, nil
}

// revision is get_revision: the working copy's revision and URL lines.
func (s *svn) revision() ([]any, error) {
	rev, url, err := s.info(s.dest)
	return []any{rev, url}, err
}

// remoteRevision is get_remote_revision: the repository's revision line.
func (s *svn) remoteRevision() (string, error) {
	lines, err := s.read("info", s.o.Repo)
	return revisionLine(lines, "Unable to get remote revision"), err
}

// localMods is has_local_mods: a versioned file added or modified
// (unversioned files and externals left out).
func (s *svn) localMods() (bool, error) {
	lines, err := s.read("status", "--quiet", "--ignore-externals", s.dest)
	for _, l := range lines {
		if l != "" && l[0] != '?' && l[0] != 'X' {
			return true, err
		}
	}
	return false, err
}
