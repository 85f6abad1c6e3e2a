package runner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ferry-sh/ferry/inventory"
	"github.com/ferry-sh/ferry/playbooks"
	"github.com/ferry-sh/ferry/runner/conn"
	"github.com/ferry-sh/ferry/vault"
)

// Exit codes, as ansible-playbook 2.14's (measured, see
// cmd/ferry/compare_test.go): it gives 4 both for an unreachable host and for
// input it cannot parse, and 2 both for a failed host and for a command line
// that argparse refuses.
const (
	ExitOK          = 0
	ExitError       = 1 // an error while running, a --limit that matches no host, a missing playbook
	ExitFailed      = 2 // a host failed
	ExitBadFlags    = 2 // an unknown flag, a flag without its value, or a flag value of the wrong type
	ExitUnreachable = 4 // a host was unreachable (wins over a failed one)
	ExitInvalid     = 4 // bad input: nothing was run
	ExitUsage       = 5 // a bad option value (-e that is not a mapping, say)
	ExitInterrupted = 99
)

// Session is what `ferry run` and `ferry validate` are given.
type Session struct {
	Playbook    string   // path; empty runs the embedded default playbook
	Inventories []string // -i, repeatable
	ExtraVars   []string // -e values: key=value, JSON/YAML, or @file
	SecretFiles []string // --secrets files: every value in them is masked
	Options              // check, diff, limit, tags, forks...
	Output      string   // "text", "json", "junit", or "adhoc" (ansible's one line per host)
	// PlaybookSource, when set, is the playbook itself (ferry adhoc's),
	// named Playbook in messages; relative paths start in the working directory.
	PlaybookSource []byte
	RolesPath      []string // the config file's roles_path (ANSIBLE_ROLES_PATH replaces it)
	Journal        bool     // write the run's journal under the site directory
	Resume         bool     // --resume: continue the last run recorded in the journal
	Command        []string // the command line, for the journal (masked there)
	Color          bool
	Terminal       bool // stdout is a terminal: draw transfer progress
	Width          int  // the terminal's columns (0: not a terminal), for header lines
	Stdout         io.Writer
	Stderr         io.Writer

	// VaultSources are --vault-id, --vault-password-file, --ask-vault-pass:
	// the passwords of vault-encrypted files and !vault values.
	VaultSources vault.Sources

	// CollectionsPath is the config file's collections_path
	// (ANSIBLE_COLLECTIONS_PATH replaces it).
	CollectionsPath []string
}

// Prepare loads and checks everything a run needs, running nothing: the
// inventory, the playbook, extra vars and secrets. All static problems come
// back together as a *ValidationError.
func (s *Session) Prepare() (*Playbook, error) {
	masker := NewMasker(connSecrets(s.ConnDefaults)...)
	s.Masker = masker
	if err := s.loadVault(); err != nil {
		return nil, err
	}
	extra, err := s.extraVars()
	if err != nil {
		return nil, err
	}
	s.Options.ExtraVars = extra
	inv, err := s.inventory()
	if err != nil {
		return nil, err
	}
	s.Inventory = inv
	masker.Add(inv.Secrets()...)
	if err := checkLimit(inv, s.Limit, masker.Writer(s.stderr())); err != nil {
		return nil, err
	}
	pb, err := s.playbook()
	if err != nil {
		return nil, err
	}
	if err := inv.AddVarsDir(pb.Dir); err != nil {
		return nil, err
	}
	masker.Add(inv.Secrets()...) // the playbook's group_vars may hold vaulted values
	s.ReloadInventory = func() (*inventory.Inventory, error) {
		inv, err := s.inventory()
		if err == nil {
			err = inv.AddVarsDir(pb.Dir)
		}
		return inv, err
	}
	if err := Validate(pb, inv, extra); err != nil {
		return nil, err
	}
	if err := CheckStartAtTask(pb, s.StartAtTask); err != nil {
		return nil, err
	}
	return pb, nil
}

// Run prepares, runs and returns the exit code. Every byte written goes
// through the masker.
func (s *Session) Run(ctx context.Context) int {
	pb, err := s.Prepare()
	stderr := s.Masker.Writer(s.Stderr)
	if err != nil {
		return s.fail(stderr, err)
	}
	jw, err := s.startJournal(pb)
	if err != nil {
		return s.fail(stderr, err)
	}
	s.Sink = s.withJournal(s.screenSink(s.Masker.Writer(s.Stdout)), jw)
	if s.Connect == nil {
		s.Connect = NewConnections(conn.PoolOptions{})
	}
	recap, err := New(s.Options).Run(ctx, pb)
	code := ExitOK
	switch {
	case errors.Is(err, ErrInterrupted):
		code = ExitInterrupted
	case err != nil:
		code = s.fail(stderr, err)
	default:
		code = recap.ExitCode()
	}
	s.endJournal(jw, code)
	return code
}

// stderr is where warnings go before the run's output sink exists.
func (s *Session) stderr() io.Writer {
	if s.Stderr == nil {
		return io.Discard
	}
	return s.Stderr
}

func (s *Session) fail(w io.Writer, err error) int {
	var usage *UsageError
	if errors.As(err, &usage) {
		fmt.Fprintf(w, "ferry: %v (see ferry run -h)\n", err)
		return ExitUsage
	}
	fmt.Fprintf(w, "ERROR: %v\n", err)
	var included *includeParseError
	if errors.As(err, &included) {
		return ExitInvalid
	}
	if IsValidation(err) {
		fmt.Fprintln(w, "Nothing was run.")
		return ExitInvalid
	}
	return ExitError
}

func (s *Session) inventory() (*inventory.Inventory, error) {
	if len(s.Inventories) == 0 {
		return nil, Diags{{Msg: "no inventory given", Hint: "pass -i INVENTORY (a file or a site directory), or set inventory in ferry.cfg"}}.Err()
	}
	inv, err := inventory.LoadVault(s.Options.Vault, s.Inventories...)
	if err != nil {
		return nil, &ValidationError{Diags: Diags{{Pos: Pos{File: "inventory"}, Msg: err.Error()}}}
	}
	return inv, nil
}

// playbook loads the named playbook, or the embedded default one, unpacked
// to a cache directory so that its templates and files are ordinary paths.
// A name that is not a file but is a shipped playbook (dash-enterprise-
// upgrade.yml) runs the embedded one.
func (s *Session) playbook() (*Playbook, error) {
	name := s.Playbook
	if s.PlaybookSource != nil {
		dir, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		return parsePlaybook(name, dir, s.PlaybookSource, LoadOptions{RolesPath: s.RolesPath, CollectionsPath: s.CollectionsPath})
	}
	if name != "" {
		_, err := os.Stat(name)
		switch {
		case errors.Is(err, fs.ErrNotExist) && !isEmbedded(name):
			// ansible-playbook: "the playbook: x.yml could not be found", exit 1.
			return nil, fmt.Errorf("the playbook %s could not be found (check the path, or `ferry run` without one for the embedded playbook)", name)
		case err == nil || !isEmbedded(name):
			return LoadPlaybookWith(name, LoadOptions{RolesPath: s.RolesPath, CollectionsPath: s.CollectionsPath, Vault: s.Options.Vault, Secrets: s.Masker.Add})
		}
	} else {
		name = playbooks.Default
	}
	dir, err := unpackEmbedded()
	if err != nil {
		return nil, fmt.Errorf("unpacking the embedded playbooks: %w", err)
	}
	return LoadPlaybookWith(filepath.Join(dir, name), LoadOptions{RolesPath: s.RolesPath, CollectionsPath: s.CollectionsPath})
}

func isEmbedded(name string) bool {
	if strings.ContainsRune(name, '/') {
		return false
	}
	_, err := fs.Stat(playbooks.FS, name)
	return err == nil
}

// unpackEmbedded writes the embedded playbooks once per content version to
// the user's cache directory, and reuses them after.
func unpackEmbedded() (string, error) {
	dir, err := embeddedDir()
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(dir, playbooks.Default)); err == nil {
		return dir, nil
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".unpack-")
	if err != nil {
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return "", err
		}
		if tmp, err = os.MkdirTemp(filepath.Dir(dir), ".unpack-"); err != nil {
			return "", err
		}
	}
	if err := CopyFS(tmp, playbooks.FS, "."); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	// A concurrent run may have won the race; either copy is identical.
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
	}
	return dir, nil
}

func fsDigest(fsys fs.FS) (string, error) {
	h := sha256.New()
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, path)
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(data))
		h.Write(data)
		return err
	})
	return hex.EncodeToString(h.Sum(nil)), err
}

// InitSite creates dir as a new site from the example site inventory. It
// refuses a directory that already holds files, so nothing is overwritten.
func InitSite(dir string) error {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s exists and is not empty; choose a new directory", dir)
	}
	return CopyFS(dir, playbooks.FS, "examples/site")
}

// CopyFS copies the tree at root of fsys into dir.
func CopyFS(dir string, fsys fs.FS, root string) error {
	return fs.WalkDir(fsys, root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		target := filepath.Join(dir, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

// loadVault reads the vault passwords (running password scripts, prompting)
// before any file is read; the passwords are secrets too.
func (s *Session) loadVault() error {
	if s.VaultSources.Stderr == nil {
		s.VaultSources.Stderr = s.Stderr
	}
	keys, err := vault.Load(s.VaultSources)
	if err != nil {
		return Diags{{Msg: err.Error(), Hint: "fix the vault password option (--vault-id, --vault-password-file, ANSIBLE_VAULT_PASSWORD_FILE)"}}.Err()
	}
	s.Masker.Add(keys.Passwords()...)
	s.Options.Vault = keys
	return nil
}

// extraVars parses -e values as ansible-playbook does: key=value pairs
// (strings), inline YAML/JSON, or @file. Later values win.
func (s *Session) extraVars() (map[string]any, error) {
	out := map[string]any{}
	for _, e := range s.ExtraVars {
		vars, err := parseExtraVar(e, s.Masker, s.Options.Vault)
		if err != nil {
			return nil, &UsageError{Msg: fmt.Sprintf("-e %s: %v", e, err)}
		}
		for k, v := range vars {
			out[k] = v
		}
	}
	for _, f := range s.SecretFiles {
		vars, secrets, err := ReadVarsFile(s.Options.Vault, f)
		if err != nil {
			return nil, err
		}
		s.Masker.Add(secrets...)
		for k, v := range vars {
			s.Masker.Add(leafStrings(v)...)
			out[k] = v
		}
	}
	return out, nil
}

func parseExtraVar(e string, masker *Masker, keys *vault.Keyring) (map[string]any, error) {
	switch {
	case strings.HasPrefix(e, "@"):
		vars, secrets, err := ReadVarsFile(keys, e[1:])
		masker.Add(secrets...)
		return vars, err
	case strings.HasPrefix(strings.TrimSpace(e), "{"):
		vars, err := inventory.ReadVarsText("the extra vars", e)
		if err != nil {
			return nil, fmt.Errorf("not valid JSON or YAML: %v", err)
		}
		return vars, nil
	}
	pairs, err := splitKeyValues(e)
	if err != nil {
		return nil, err
	}
	for k := range pairs {
		if !isIdentifier(k) {
			return nil, fmt.Errorf("%q is not a valid variable name", k)
		}
	}
	if len(pairs) == 0 {
		return nil, errors.New("want key=value, @file or a JSON object")
	}
	return pairs, nil
}

func leafStrings(v any) []string {
	switch x := v.(type) {
	case map[string]any:
		var out []string
		for _, e := range x {
			out = append(out, leafStrings(e)...)
		}
		return out
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, leafStrings(e)...)
		}
		return out
	case nil, bool:
		return nil // nothing to hide; see carriesNothing
	}
	return []string{fmt.Sprint(v)}
}

// UsageError is a bad command line (exit 5).
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }
