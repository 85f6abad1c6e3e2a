package git

import (
	"maps"
	"path"
	"strings"

	"github.com/ferry-sh/ferry/internal/shellquote"
)

// submodulesFetch is git.py's submodules_fetch: whether a submodule is
// new (not cloned yet) or behind, after fetching each one.
func (j *job) submodulesFetch() (bool, error) {
	gitmodules := path.Join(j.dest, ".gitmodules")
	if ok, err := j.exists("-e", gitmodules); err != nil || !ok {
		return false, err
	}
	text, err := j.readFile(gitmodules)
	if err != nil {
		return false, err
	}
	for _, line := range strings.Split(text, "\n") {
		_, value, ok := strings.Cut(line, "=")
		if !ok || !strings.HasPrefix(strings.TrimSpace(line), "path") {
			continue
		}
		if cloned, err := j.exists("-e", path.Join(j.dest, strings.TrimSpace(value), ".git")); err != nil || !cloned {
			return true, err
		}
	}
	begin, err := j.submoduleVersions("HEAD")
	if err != nil {
		return false, err
	}
	if _, err := j.mustAct(j.dest, "submodule", "foreach", j.git, "fetch"); err != nil {
		return false, err
	}
	if j.o.TrackSubmodules {
		after, err := j.submoduleVersions(j.o.Remote + "/master")
		return !maps.Equal(begin, after), err
	}
	out, err := j.mustQuery(j.dest, "submodule", "status")
	for _, line := range strings.Split(strings.TrimRight(out.Stdout, "\n"), "\n") {
		if line != "" && line[0] != ' ' {
			return true, err
		}
	}
	return false, err
}

// submoduleVersions is get_submodule_versions: each submodule's commit
// for version.
func (j *job) submoduleVersions(version string) (map[string]string, error) {
	out, err := j.query(j.dest, "submodule", "foreach", j.git, "rev-parse", version)
	if err != nil {
		return nil, err
	}
	if out.RC != 0 {
		return nil, commandFailure("Unable to determine hashes of submodules", out, nil)
	}
	versions := map[string]string{}
	name, named := "", false
	for _, line := range strings.Split(strings.TrimRight(out.Stdout, "\n"), "\n") {
		switch {
		case line == "" && out.Stdout == "":
		case strings.HasPrefix(line, "Entering '"):
			name, named = strings.TrimSuffix(line[len("Entering '"):], "'"), true
		case len(strings.TrimSpace(line)) == 40 && named:
			versions[name], named = strings.TrimSpace(line), false
		default:
			return nil, fail("Unable to parse submodule hash line: " + strings.TrimSpace(line))
		}
	}
	if named {
		return nil, fail("Unable to find hash for submodule: " + name)
	}
	return versions, nil
}

// submoduleUpdate is submodule_update: sync, then update --init
// --recursive (--remote when tracking and git's usage offers it).
func (j *job) submoduleUpdate() error {
	params, err := j.submoduleUpdateParams()
	if err != nil {
		return err
	}
	if ok, err := j.exists("-e", path.Join(j.dest, ".gitmodules")); err != nil || !ok {
		return err
	}
	if _, err := j.mustAct(j.dest, "submodule", "sync"); err != nil {
		return err
	}
	args := []string{"submodule", "update", "--init", "--recursive"}
	if params["remote"] && j.o.TrackSubmodules {
		args = append(args, "--remote")
	}
	if j.o.Force {
		args = append(args, "--force")
	}
	out, err := j.act(j.dest, args...)
	if err == nil && out.RC != 0 {
		err = fail("Failed to init/update submodules: " + out.Stdout + out.Stderr)
	}
	return err
}

// submoduleUpdateParams is get_submodule_update_params: the options of
// git submodule update, read from its usage line (which newer git prints
// nowhere: then none, and git.py never passes --remote).
func (j *job) submoduleUpdateParams() (map[string]bool, error) {
	out, err := j.query(j.dest, "submodule", "update", "--help")
	params := map[string]bool{}
	for _, line := range strings.Split(out.Stderr, "\n") {
		if !strings.Contains(line, "git submodule [--quiet] update ") {
			continue
		}
		line = strings.NewReplacer("[", "", "]", "", "|", " ").Replace(line)
		words, _ := shellquote.Split(line)
		for _, w := range words {
			if strings.HasPrefix(w, "--") {
				params[strings.ReplaceAll(w, "--", "")] = true
			}
		}
	}
	return params, err
}
