package files

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ferry-sh/ferry/modules"
)

// fetch copies a file of the host to the controller, as Ansible's fetch:
// into dest/<inventory_hostname>/<src>, or with flat into dest itself.
type fetch struct{}

// maxFetchBecome bounds a fetch with become, which reads the file through
// a command into memory (as Ansible's slurp does); without become the file
// streams.
const maxFetchBecome = 256 << 20

type fetchOptions struct {
	Src              string `opt:"src,required" doc:"The file on the host (not a directory)."`
	Dest             string `opt:"dest,required" doc:"A directory on the controller (relative: to the playbook's); the file lands in dest/<inventory_hostname>/<src>, or with flat in dest itself (a dest ending in / receives src's name)."`
	Flat             bool   `opt:"flat" default:"false" doc:"Put the file at dest, without the host name and src's path."`
	FailOnMissing    bool   `opt:"fail_on_missing" default:"true" doc:"Fail when src does not exist or is a directory; false reports it and goes on."`
	ValidateChecksum bool   `opt:"validate_checksum" default:"true" doc:"Fail when the copy's sha1 differs from the host file's."`
}

func (fetch) Spec() modules.Spec {
	return modules.Spec{
		Name:    "fetch",
		Returns: []string{"changed", "md5sum", "dest", "remote_md5sum", "checksum", "remote_checksum"}, // the order of Ansible's result
		Summary: "Copy a file of the host to the controller",
		Args:    modules.OptionsOf[fetchOptions](),
		// As Ansible's action plugin: nothing is predicted; the runner
		// skips the task in check mode.
		Check:         modules.CheckSkip,
		CheckSkipData: map[string]any{"msg": "check mode not (yet) supported for this module"},
	}
}

func (fetch) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[fetchOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	src := o.Src
	info, err := modules.StatPath(ctx, h, src, true)
	if err != nil {
		return modules.Result{}, err
	}
	failOnMissing := o.FailOnMissing
	switch {
	case !info.Exists:
		msg := "the remote file does not exist, not transferring, ignored"
		data := map[string]any{"msg": msg}
		if !failOnMissing {
			data["file"] = src
		}
		return modules.Result{Failed: failOnMissing, Msg: msg, Data: data}, nil
	case info.Type == "directory":
		msg := "remote file is a directory, fetch cannot work on directories"
		if !failOnMissing {
			msg += ", not transferring, ignored"
		}
		return modules.Result{Failed: failOnMissing, Msg: msg, Data: map[string]any{"msg": msg}}, nil
	}
	dest, err := fetchDest(h, src, o)
	if err != nil {
		return modules.Result{}, err
	}
	sums, err := modules.HostSHA1(ctx, h, []string{src})
	if err != nil {
		return modules.Result{}, err
	}
	remote := sums[0]
	local, localMD5, err := localSums(dest)
	if err != nil {
		return modules.Result{}, err
	}
	if local == remote {
		return modules.Result{Data: map[string]any{"md5sum": localMD5, "file": src, "dest": dest, "checksum": local}}, nil
	}
	var got, gotMD5 string
	err = h.Change(fmt.Sprintf("fetch %s to %s on the controller", src, dest), func(modules.Writer) error {
		var err error
		got, gotMD5, err = download(ctx, h, src, dest, info.Size)
		return err
	})
	if err != nil {
		return modules.Result{}, err
	}
	data := map[string]any{"md5sum": gotMD5, "dest": dest, "remote_md5sum": nil, "checksum": got, "remote_checksum": remote}
	if o.ValidateChecksum && got != remote {
		data["msg"], data["file"] = "checksum mismatch", src
		return modules.Result{Failed: true, Msg: "checksum mismatch", Data: data}, nil
	}
	return modules.Result{Data: data}, nil
}

// fetchDest is where the file lands on the controller, as Ansible's fetch
// action computes it.
func fetchDest(h *modules.Host, src string, o fetchOptions) (string, error) {
	dest := o.Dest
	if !filepath.IsAbs(dest) && h.BaseDir != "" {
		dir := strings.HasSuffix(dest, "/")
		dest = filepath.Join(h.BaseDir, dest)
		if dir {
			dest += "/"
		}
	}
	if !o.Flat {
		return filepath.Clean(fmt.Sprintf("%s/%s/%s", dest, h.Name, src)), nil
	}
	if fi, err := os.Stat(dest); err == nil && fi.IsDir() && !strings.HasSuffix(dest, "/") {
		return "", errors.New("dest is an existing directory, use a trailing slash if you want to fetch src into that directory")
	}
	if strings.HasSuffix(dest, "/") {
		dest = filepath.Join(dest, filepath.Base(src))
	}
	return filepath.Clean(dest), nil
}

// localSums are the sha1 and md5 of a controller file; "" and nil when it
// does not exist.
func localSums(p string) (string, any, error) {
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	s1, m5 := sha1.New(), md5.New()
	if _, err := io.Copy(io.MultiWriter(s1, m5), f); err != nil {
		return "", nil, fmt.Errorf("reading %s: %w", p, err)
	}
	return hex.EncodeToString(s1.Sum(nil)), hex.EncodeToString(m5.Sum(nil)), nil
}

// download streams src into a new private file beside dest and renames it
// over dest, so dest is never seen half-written; it returns the sha1 and md5
// of what it wrote.
func download(ctx context.Context, h *modules.Host, src, dest string, size int64) (string, string, error) {
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return "", "", err
	}
	r, err := openOnHost(ctx, h, src, size)
	if err != nil {
		return "", "", err
	}
	defer r.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dest), ".ferry-fetch-*")
	if err != nil {
		return "", "", err
	}
	defer os.Remove(tmp.Name())
	s1, m5 := sha1.New(), md5.New()
	_, err = io.Copy(io.MultiWriter(tmp, s1, m5), r)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dest)
	}
	if err != nil {
		return "", "", fmt.Errorf("Failed to fetch the file: %w", err)
	}
	return hex.EncodeToString(s1.Sum(nil)), hex.EncodeToString(m5.Sum(nil)), nil
}

// openOnHost streams a file of the host; with become the login user may not
// read it, so it goes through a command as the become user, bounded.
func openOnHost(ctx context.Context, h *modules.Host, src string, size int64) (io.ReadCloser, error) {
	if h.Become == nil {
		return h.Open(ctx, src)
	}
	if size > maxFetchBecome {
		return nil, fmt.Errorf("%s has %d bytes; with become ferry fetches up to %d MiB (fetch it without become, or copy it somewhere the login user can read)", src, size, maxFetchBecome>>20)
	}
	b, err := modules.ReadFile(ctx, h, src, maxFetchBecome)
	return io.NopCloser(bytes.NewReader(b)), err
}
