package git

import "path"

// run is git.py's main after the arguments: clone, keep or update, then
// check out version, the submodules and the archive.
func (j *job) run() error {
	if err := j.setup(); err != nil {
		return err
	}
	if j.dest == "" && j.o.Clone {
		return fail("the destination directory must be specified unless clone=no")
	}
	gitconfig := ""
	if j.dest != "" {
		repo, err := j.repoPath(j.o.Bare)
		if err != nil {
			return err
		}
		if repo, err = j.relocate(repo); err != nil {
			return err
		}
		gitconfig = path.Join(repo, "config")
	}
	j.data["before"] = nil
	cloned := false
	if gitconfig != "" {
		var err error
		if cloned, err = j.exists("-e", gitconfig); err != nil {
			return err
		}
	}
	switch {
	case !cloned:
		if done, err := j.cloneOrTell(); done || err != nil {
			return err
		}
	case !j.o.Update:
		return j.keep()
	default:
		if done, err := j.update(); done || err != nil {
			return err
		}
	}
	return j.finish()
}

// cloneOrTell is the path of a dest with no repository: under --check or
// with clone false, the remote's head is told (a change); else the clone.
func (j *job) cloneOrTell() (done bool, err error) {
	if j.h.Check || !j.o.Clone {
		head, err := j.remoteHead(j.repo, j.o.Bare)
		if err != nil {
			return true, err
		}
		j.changed = true
		j.data["after"] = head
		return true, j.addDiff(nil, head)
	}
	return false, j.clone()
}

// keep is update false on an existing repository: its HEAD, no change
// (but the archive's).
func (j *job) keep() error {
	before, err := j.revParse("HEAD")
	if err != nil {
		return err
	}
	j.data["before"], j.data["after"] = before, before
	return j.archive()
}

// update is the path of an existing repository: local modifications,
// the remote's URL, then a fetch (under --check, ls-remote's head only).
func (j *job) update() (done bool, err error) {
	mods, err := j.localMods()
	if err != nil {
		return true, err
	}
	before, err := j.revParse("HEAD")
	if err != nil {
		return true, err
	}
	j.data["before"] = before
	if mods {
		// the failure comes under --check too
		if !j.o.Force {
			f := fail("Local modifications exist in the destination: " + j.dest + " (force=no).").(*failure)
			f.withResult = true // fail_json(msg, **result)
			return true, f
		}
		if !j.h.Check {
			if err := j.reset(); err != nil {
				return true, err
			}
			j.changed = true
			j.data["msg"] = "Local modifications exist in the destination: " + j.dest
		}
	}
	urlChanged, err := j.urlChanged()
	if err != nil {
		return true, err
	}
	j.data["remote_url_changed"] = urlChanged
	if j.h.Check {
		head, err := j.remoteHead(j.o.Remote, j.o.Bare)
		if err != nil {
			return true, err
		}
		j.data["after"] = head
		j.changed = before != head || truthy(urlChanged) // git.py's check mode: not the local modifications
		return true, j.addDiff(before, head)
	}
	j.changed = j.changed || truthy(urlChanged)
	if err := j.fetch(j.o.Version); err != nil {
		return true, err
	}
	j.data["after"], err = j.revParse("HEAD")
	return false, err
}

// urlChanged is set_remote_url, or its prediction under --check.
func (j *job) urlChanged() (any, error) {
	if j.h.Check {
		return j.remoteURLChanged()
	}
	return j.setRemoteURL()
}

// finish checks out version and the submodules, and tells whether the
// task changed the repository (then with its diff), then the archive.
func (j *job) finish() error {
	if !j.o.Bare {
		if err := j.switchVersion(); err != nil {
			return err
		}
	}
	submodules := false
	if j.o.Recursive && !j.o.Bare {
		var err error
		if submodules, err = j.submodulesFetch(); err != nil {
			return err
		}
		if submodules {
			j.data["submodules_changed"] = true
			if err := j.submoduleUpdate(); err != nil {
				return err
			}
		}
	}
	after, err := j.revParse("HEAD")
	if err != nil {
		return err
	}
	j.data["after"] = after
	if before := j.data["before"]; before != after || submodules || j.changed {
		j.changed = true
		if err := j.addDiff(before, after); err != nil {
			return err
		}
	}
	return j.archive()
}

// truthy is Python's truth of remote_url_changed (a bool, or the URL
// git.py's `and` left there).
func truthy(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return v != ""
	}
	return false
}
