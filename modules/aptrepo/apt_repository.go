// Package aptrepo is Ansible's apt_repository and apt_key modules: the
// sources apt reads (sources.list and sources.list.d/*.list) and the keys it
// trusts (apt-key's keyrings). Public Debian roles add a vendor's repository
// with them (docker, nodejs, postgresql, jenkins, nginx's Ubuntu setup).
package aptrepo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

func init() { modules.Register(aptRepositoryModule{}) }

type aptRepositoryModule struct{}

type aptRepositoryOptions struct {
	Repo                     string  `opt:"repo,required" doc:"A source line (\"deb [signed-by=/etc/apt/keyrings/x.gpg] https://example.com/debian bookworm main\") or ppa:OWNER/NAME."`
	State                    string  `opt:"state" default:"present" choices:"absent,present" doc:"present adds the source (or enables it where it is commented out); absent removes every enabled copy."`
	Mode                     any     `opt:"mode" kind:"mode" doc:"Permissions of a sources file the source is added to; unset: 0644 for a new file."`
	UpdateCache              bool    `opt:"update_cache" default:"true" aliases:"update-cache" doc:"Run apt-get update after a change (an offline host fails here, and the change is undone)."`
	UpdateCacheRetries       int     `opt:"update_cache_retries" default:"5" doc:"Tries of apt-get update before failing."`
	UpdateCacheRetryMaxDelay int     `opt:"update_cache_retry_max_delay" default:"12" doc:"Longest wait between tries, seconds."`
	Filename                 *string `opt:"filename" doc:"The sources file's name without .list (in sources.list.d unless it has a /); default: from the URI."`
	InstallPythonApt         bool    `opt:"install_python_apt" default:"true" doc:"Accepted for Ansible's playbooks; ferry does not need python3-apt."`
	ValidateCerts            bool    `opt:"validate_certs" default:"true" doc:"Accepted for Ansible's playbooks (it concerns ppa: lookups, which need the network)."`
	Codename                 *string `opt:"codename" doc:"The release a ppa: line names; default: the host's VERSION_CODENAME."`
}

func (aptRepositoryModule) Spec() modules.Spec {
	return modules.Spec{
		Name:    "apt_repository",
		Summary: "Add or remove an APT source line (sources.list.d)",
		Args:    modules.OptionsOf[aptRepositoryOptions](),
		Check:   modules.CheckSupported,
		Returns: []string{"changed", "repo", "state", "diff"}, // the order of Ansible's result
	}
}

// Run follows ansible-core 2.14's modules/apt_repository.py: read every
// sources file, add or remove the line, and when that changes their text,
// write them all back, then update the cache (undoing the change when the
// update fails).
func (aptRepositoryModule) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	return failJSON(runAptRepository(ctx, h, args))
}

func runAptRepository(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[aptRepositoryOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	if o.Repo == "" {
		return failed("Please set argument 'repo' to a non-empty value"), nil
	}
	list, codename, res, err := readSources(ctx, h)
	if res != nil || err != nil {
		return derefResult(res), err
	}
	if o.Codename != nil {
		codename = *o.Codename
	}
	before := list.clone()
	if res, err := o.apply(ctx, h, list, codename); res != nil || err != nil {
		return derefResult(res), err
	}
	dumpBefore, dumpAfter := before.dump(), list.dump()
	data := map[string]any{"repo": o.Repo, "state": o.State, "diff": map[string]any{}}
	if maps.Equal(dumpBefore, dumpAfter) {
		return modules.Result{Data: data}, nil
	}
	if h.Diff {
		data["diff"] = diffList(dumpBefore, dumpAfter)
	}
	if err := save(ctx, h, list, o.Mode); err != nil {
		return modules.Result{}, err
	}
	if o.UpdateCache && !h.Check {
		if err := o.updateCache(ctx, h); err != nil {
			if rerr := revert(ctx, h, before, dumpAfter); rerr != nil {
				return modules.Result{}, errors.Join(err, rerr)
			}
			return modules.Result{}, err
		}
	}
	return modules.Result{Data: data, Diffs: fileDiffs(dumpBefore, dumpAfter)}, nil
}

// apply adds or removes the task's line; a failed result for a line that
// is not a source, or a ppa: that needs Launchpad.
func (o aptRepositoryOptions) apply(ctx context.Context, h *modules.Host, list *sourcesList, codename string) (*modules.Result, error) {
	source, err := parseValidSourceOrPPA(o.Repo, codename)
	var invalid errInvalidSource
	if errors.As(err, &invalid) {
		r := failed(invalid.Error())
		return &r, nil
	}
	if o.State == "absent" {
		return nil, list.remove(source)
	}
	if strings.HasPrefix(o.Repo, "ppa:") {
		if list.hasEnabled(source) {
			return nil, nil // UbuntuSourcesList.add_source: the PPA is there
		}
		r := failed(ppaRefusal)
		return &r, nil
	}
	file, err := suggestFilename(source, o.Filename)
	if err != nil {
		return nil, err
	}
	list.add(source, file)
	return nil, nil
}

// ppaRefusal is how a ppa: line that is not there yet fails: adding it
// needs Launchpad's API and a keyserver, which ferry's hosts (airgapped)
// cannot reach; this is Ansible's message on a host without the network.
const ppaRefusal = "failed to fetch PPA information, error was: Request failed: <urlopen error [Errno -3] Temporary failure in name resolution>"

// parseValidSourceOrPPA is the source the task names: a ppa: expanded to
// Launchpad's deb line for codename (_expand_ppa), or the parsed line.
func parseValidSourceOrPPA(repo, codename string) (string, error) {
	ppa, ok := strings.CutPrefix(repo, "ppa:")
	if !ok {
		return parseValidSource(repo)
	}
	ppa, _, _ = strings.Cut(ppa, ":")
	owner, name, found := strings.Cut(ppa, "/")
	if !found {
		name = "ppa"
	}
	name, _, _ = strings.Cut(name, "/")
	return fmt.Sprintf("deb http://ppa.launchpad.net/%s/%s/ubuntu %s main", owner, name, codename), nil
}

// hasEnabled is "source in self.repos_urls".
func (s *sourcesList) hasEnabled(source string) bool {
	for _, f := range s.files {
		for _, l := range f.lines {
			if l.valid && l.enabled && l.source == source {
				return true
			}
		}
	}
	return false
}

// readSourcesScript prints apt's sources.list and sources.list.d (as
// apt_pkg.config finds them), the host's codename, and the sources files.
const readSourcesScript = `eval "$(apt-config shell SL Dir::Etc::sourcelist/f SP Dir::Etc::sourceparts/d)" || exit 3
[ -n "$SL" ] && [ -n "$SP" ] || exit 3
printf '%s\n%s\n' "$SL" "$SP"
(. /etc/os-release 2>/dev/null; printf '%s\n' "${VERSION_CODENAME:-}")
[ -f "$SL" ] && printf '%s\n' "$SL"
for f in "${SP%/}"/*.list; do [ -f "$f" ] && printf '%s\n' "$f"; done
exit 0`

// readSources loads every sources file of the host.
func readSources(ctx context.Context, h *modules.Host) (*sourcesList, string, *modules.Result, error) {
	out, err := hostcmd.Query(ctx, h, readSourcesScript)
	if err != nil {
		return nil, "", nil, err
	}
	lines := strings.Split(strings.TrimSuffix(out.Stdout, "\n"), "\n")
	if out.RC != 0 || len(lines) < 3 {
		r := failed("Module apt_repository is not supported on target.")
		return nil, "", &r, nil
	}
	list := &sourcesList{defaultFile: path.Clean(lines[0]), partsDir: path.Clean(lines[1]), newRepos: map[string]bool{}}
	files := lines[3:]
	slices.Sort(files[min(1, len(files)):]) // sources.list first, then the parts in order
	for _, f := range files {
		text, err := modules.ReadFile(ctx, h, f, 16<<20)
		if err != nil {
			return nil, "", nil, err
		}
		list.load(path.Clean(f), string(text))
	}
	return list, lines[2], nil, nil
}

// save is SourcesList.save: each file with lines gets its text (a file a
// source was added to, the task's mode), each empty one is removed.
func save(ctx context.Context, h *modules.Host, list *sourcesList, mode any) error {
	for _, f := range list.files {
		if len(f.lines) == 0 {
			if err := removeFile(ctx, h, f.path); err != nil {
				return err
			}
			continue
		}
		if err := ensureDir(ctx, h, path.Dir(f.path)); err != nil {
			return err
		}
		var attrs modules.FileAttrs
		if list.newRepos[f.path] {
			attrs.Mode = mode
		}
		w := modules.ContentWrite{Path: f.path, Content: []byte(f.text()), Options: modules.FileEditOptions{FileAttrs: attrs}}
		if _, _, err := modules.WriteContent(ctx, h, w); err != nil {
			return err
		}
	}
	return nil
}

// revert is revert_sources_list: the files the task made are removed, the
// others get their text back.
func revert(ctx context.Context, h *modules.Host, before *sourcesList, after map[string]string) error {
	had := before.dump()
	for _, p := range slices.Sorted(maps.Keys(after)) {
		if _, ok := had[p]; !ok {
			if err := removeFile(ctx, h, p); err != nil {
				return err
			}
		}
	}
	return save(ctx, h, before, nil)
}

func removeFile(ctx context.Context, h *modules.Host, p string) error {
	exists, err := modules.PathExists(ctx, h, p)
	if err != nil || !exists {
		return err
	}
	_, err = hostcmd.Change(ctx, h, "remove "+p, hostcmd.Quote("rm", "-f", "--", p))
	return err
}

// ensureDir makes a sources file's directory, as save's os.makedirs.
func ensureDir(ctx context.Context, h *modules.Host, dir string) error {
	exists, err := modules.PathExists(ctx, h, dir)
	if err != nil || exists {
		return err
	}
	_, err = hostcmd.Change(ctx, h, "mkdir "+dir, hostcmd.Quote("mkdir", "-p", "--", dir))
	return err
}

// updateCache is apt.Cache().update() with the module's retries: a failed
// try waits 2^try seconds plus a fraction (at most the maximum delay plus
// it), the last one too, as the module's loop does; no try at all fails.
func (o aptRepositoryOptions) updateCache(ctx context.Context, h *modules.Host) error {
	jitter := float64(rand.IntN(1001)) / 1000
	for try := range o.UpdateCacheRetries {
		var out modules.Output
		err := h.Change("apt-get update", func(w modules.Writer) error {
			var err error
			out, err = hostcmd.Write(ctx, w, h, "LC_ALL=C apt-get -q update --error-on=any", nil)
			return err
		})
		if err != nil {
			return err
		}
		if out.RC == 0 {
			return nil
		}
		delay := float64(int(1)<<min(try, 30)) + jitter
		if limit := float64(o.UpdateCacheRetryMaxDelay); delay > limit {
			delay = limit + jitter
		}
		if err := sleep(ctx, time.Duration(delay*float64(time.Second))); err != nil {
			return err
		}
	}
	// python-apt's FetchFailedException carries no message.
	return errors.New("Failed to update apt cache: unknown reason")
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// diffList is the result's diff: before and after of every sources file,
// changed or not (Ansible lists them in a Python set's order; here by
// name).
func diffList(before, after map[string]string) []any {
	union := maps.Clone(before)
	maps.Copy(union, after)
	names := slices.Sorted(maps.Keys(union))
	out := make([]any, 0, len(names))
	for _, p := range names {
		header := func(m map[string]string) string {
			if _, ok := m[p]; ok {
				return p
			}
			return "/dev/null"
		}
		out = append(out, modules.Ordered(map[string]any{"before": before[p], "after": after[p],
			"before_header": header(before), "after_header": header(after)}, "before", "after", "before_header", "after_header"))
	}
	return out
}

// fileDiffs are --diff's before and after of the files whose text changes.
func fileDiffs(before, after map[string]string) []modules.Diff {
	var out []modules.Diff
	for _, d := range diffList(before, after) {
		m := d.(map[string]any)
		if m["before"] != m["after"] {
			p := m["after_header"].(string)
			if p == "/dev/null" {
				p = m["before_header"].(string)
			}
			out = append(out, modules.Diff{Path: p, Before: m["before"].(string), After: m["after"].(string)})
		}
	}
	return out
}

func failed(msg string) modules.Result {
	return modules.Result{Failed: true, Msg: msg, Data: map[string]any{"msg": msg}}
}

// failJSON turns a failed result without changed into the module's error:
// fail_json's dict has no changed, TaskExecutor adds it (false) last, and
// the runner orders an error's result so.
func failJSON(res modules.Result, err error) (modules.Result, error) {
	if _, has := res.Data["changed"]; err == nil && res.Failed && !has {
		return modules.Result{Data: res.Data}, errors.New(res.Msg)
	}
	return res, err
}

func derefResult(r *modules.Result) modules.Result {
	if r == nil {
		return modules.Result{}
	}
	return *r
}
