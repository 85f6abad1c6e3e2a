package git

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ferry-sh/ferry/modules"
)

// addDiff is get_diff under --diff: a new clone, or git diff between the
// two commits. git.py fetches first, to have the new commit; ferry does
// under --check no such fetch (it would change the repository), so the diff
// of a head not fetched yet says it failed.
func (j *job) addDiff(before any, after string) error {
	if !j.h.Diff {
		return nil
	}
	prepared := ""
	switch {
	case before == nil:
		prepared = ">> Newly checked out " + after
	case before != after:
		if !j.h.Check {
			if err := j.fetchFor(after); err != nil {
				return err
			}
		}
		out, err := j.query(j.dest, "diff", before.(string), after)
		if err != nil {
			return err
		}
		prepared = diffText(out, before.(string), after)
	default:
		return nil
	}
	j.data["diff"] = map[string]any{"prepared": prepared}
	j.diffs = []modules.Diff{{Prepared: prepared}}
	return nil
}

// fetchFor is get_diff's fetch of after: no refspec, no force.
func (j *job) fetchFor(after string) error {
	keep := j.o
	defer func() { j.o = keep }()
	j.o.Refspec, j.o.Force = nil, false
	return j.fetch(after)
}

func diffText(out modules.Output, before, after string) string {
	switch {
	case out.RC == 0 && out.Stdout != "":
		return out.Stdout
	case out.RC == 0:
		return fmt.Sprintf(">> No visual differences between %s and %s", before, after)
	case out.Stderr != "":
		return fmt.Sprintf(">> Failed to get proper diff between %s and %s:\n>> %s", before, after, out.Stderr)
	}
	return fmt.Sprintf(">> Failed to get proper diff between %s and %s", before, after)
}

// verify is verify_commit_sign: version's GPG signature (an annotated
// tag's, else the commit's) checked, and its key's fingerprint against
// gpg_whitelist.
func (j *job) verify(version string) error {
	if !j.o.VerifyCommit {
		return nil
	}
	tags, err := j.annotatedTags()
	if err != nil {
		return err
	}
	args := []string{"verify-commit", version}
	if slices.Contains(tags, version) {
		args[0] = "verify-tag"
	}
	if len(j.o.GPGWhitelist) > 0 {
		args = append(args, "--raw")
	}
	out, err := j.query(j.dest, args...)
	if err != nil {
		return err
	}
	if out.RC != 0 {
		return commandFailure(fmt.Sprintf("Failed to verify GPG signature of commit/tag %q", version), out, nil)
	}
	if len(j.o.GPGWhitelist) > 0 {
		if fp := fingerprint(out.Stderr); !slices.Contains(j.o.GPGWhitelist, fp) {
			return commandFailure(fmt.Sprintf("The gpg_whitelist does not include the public key %q for this commit", fp), out, nil)
		}
	}
	return nil
}

// fingerprint is get_gpg_fingerprint: the primary key's fingerprint in
// gpg's VALIDSIG status line.
func fingerprint(status string) string {
	for _, line := range strings.Split(status, "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || f[1] != "VALIDSIG" {
			continue
		}
		if len(f) == 11 {
			return f[10]
		}
		return f[2]
	}
	return "None"
}

// annotatedTags is get_annotated_tags.
func (j *job) annotatedTags() ([]string, error) {
	out, err := j.query(j.dest, "for-each-ref", "refs/tags/", "--format", "%(objecttype):%(refname:short)")
	if err != nil {
		return nil, err
	}
	if out.RC != 0 {
		return nil, commandFailure("Could not determine tag data - received "+out.Stdout, out, nil)
	}
	var tags []string
	for _, l := range strings.Split(out.Stdout, "\n") {
		if kind, name, ok := strings.Cut(strings.TrimSpace(l), ":"); ok && kind == "tag" {
			tags = append(tags, name)
		}
	}
	return tags, nil
}
