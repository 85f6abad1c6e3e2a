package web

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path"
	"strings"
	"time"

	"github.com/ferry-sh/ferry/modules"
)

func init() { modules.Register(getURL{}) }

// getURL downloads a file onto the host (Ansible's get_url). The request
// leaves from the host (see the package comment); the body is streamed to a
// private controller file, verified against checksum, and put on the host by
// the framework's safe write, so a file whose content is already there is no
// change.
type getURL struct{}

type getURLOptions struct {
	connOptions
	Timeout int `opt:"timeout" default:"10" doc:"Seconds to wait for the server."`
	agentOptions
	Dest     string `opt:"dest,required" kind:"abspath" doc:"The file on the host; a directory receives the file under the server's or the URL's file name."`
	Force    bool   `opt:"force" default:"false" doc:"Download even when dest exists; without it an existing dest is kept when checksum matches it."`
	Checksum string "opt:\"checksum\" doc:\"`algorithm:hex` (md5, sha1, sha224, sha256, sha384, sha512) or `algorithm:URL` of a checksums file; the download fails when it differs.\""
	modules.FileInstallOptions
}

func (getURLOptions) OptionChecks() map[string]func(any) error {
	return map[string]func(any) error{"checksum": checkChecksum}
}

func (o getURLOptions) request() request {
	return request{o.connOptions, o.agentOptions, time.Duration(o.Timeout) * time.Second}
}

func (getURL) Spec() modules.Spec {
	return modules.Spec{
		Name:    "get_url",
		Returns: []string{"msg", "status_code", "changed", "checksum_dest", "checksum_src", "dest", "elapsed", "url", "src", "md5sum", "uid", "gid", "owner", "group", "mode", "state", "size"}, // the order of Ansible's result
		Summary: "Download a file from an HTTP(S) URL onto the host, verified by checksum",
		Args:    modules.OptionsOf[getURLOptions](),
		Check:   modules.CheckSupported,
	}
}

var hashes = map[string]func() hash.Hash{"md5": md5.New, "sha1": sha1.New, "sha224": sha256.New224,
	"sha256": sha256.New, "sha384": sha512.New384, "sha512": sha512.New}

func checkChecksum(v any) error {
	algo, value, ok := strings.Cut(fmt.Sprint(v), ":")
	if _, known := hashes[strings.ToLower(algo)]; !ok || !known || value == "" {
		return fmt.Errorf("checksum %q is not algorithm:value; give e.g. sha256:<hex> or sha256:https://example.com/SHA256SUMS", v)
	}
	return nil
}

// Run follows ansible-core 2.14's modules/get_url.py: an existing dest with
// a matching checksum and no force is kept ("file already exists"); anything
// else is downloaded, verified and installed when it differs.
func (getURL) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[getURLOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	client, err := newClient(ctx, h, o.request())
	if err != nil {
		return modules.Result{}, err
	}
	target, dest := o.URL, o.Dest
	algo, want, err := expectedChecksum(ctx, client, o)
	if err != nil {
		return failed(err.Error()), nil
	}
	data := map[string]any{"url": target, "dest": dest, "state": "file"}
	destIsDir := isDir(ctx, h, dest)
	if !destIsDir && !o.Force && want != "" {
		if sum, err := hostDigest(ctx, h, algo, dest); err == nil && sum == want {
			data["msg"], data["checksum_dest"] = "file already exists", ""
			return modules.Result{Data: data}, nil
		}
	}
	start := time.Now()
	resp, err := send(ctx, client, o.request(), http.MethodGet, target, nil)
	if err != nil {
		return failed("Request failed: " + err.Error()), nil
	}
	defer resp.Body.Close()
	data["status_code"], data["elapsed"] = resp.StatusCode, int(time.Since(start).Seconds())
	if resp.StatusCode != http.StatusOK {
		res := failed("Request failed")
		for k, v := range data {
			res.Data[k] = v
		}
		res.Data["response"] = okMsg(resp)
		return res, nil
	}
	tmp, sums, err := download(resp.Body, algo)
	if tmp != "" {
		defer os.Remove(tmp)
	}
	if err != nil {
		return modules.Result{}, err
	}
	if want != "" && sums[algo] != want {
		return failed(fmt.Sprintf("The checksum for %s did not match %s; it was %s.", dest, want, sums[algo])), nil
	}
	if destIsDir {
		dest = path.Join(dest, urlFileName(resp, "index.html"))
	}
	var before any // the sha1 dest had, as get_url reports it (null: no dest)
	if sum, err := hostDigest(ctx, h, "sha1", dest); err == nil {
		before = sum
	}
	res, err := modules.InstallFile(ctx, h, tmp, dest, true, o.FileInstallOptions)
	if err != nil {
		return res, err
	}
	delete(res.Data, "src")
	delete(res.Data, "checksum") // the safe write's sha256; get_url reports sha1 as Ansible
	for k, v := range data {
		res.Data[k] = v
	}
	res.Data["dest"], res.Data["msg"] = dest, okMsg(resp)
	res.Data["checksum_src"], res.Data["checksum_dest"], res.Data["md5sum"] = sums["sha1"], before, sums["md5"]
	return res, nil
}

// download streams body to a private controller file, hashing it on the
// way with sha1 and md5 (get_url's result fields) and algo.
func download(body io.Reader, algo string) (string, map[string]string, error) {
	f, err := os.CreateTemp("", "ferry-get_url-*")
	if err != nil {
		return "", nil, err
	}
	hs := map[string]hash.Hash{"sha1": sha1.New(), "md5": md5.New()}
	if algo != "" {
		hs[algo] = hashes[algo]()
	}
	writers := []io.Writer{f}
	for _, h := range hs {
		writers = append(writers, h)
	}
	_, err = io.Copy(io.MultiWriter(writers...), body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return f.Name(), nil, fmt.Errorf("downloading: %w", err)
	}
	sums := map[string]string{}
	for name, h := range hs {
		sums[name] = hex.EncodeToString(h.Sum(nil))
	}
	return f.Name(), sums, nil
}

// expectedChecksum splits checksum into its algorithm and value; a value
// that is a URL is a checksums file, whose line for the URL's file name (or
// only line) gives the value, as get_url reads it.
func expectedChecksum(ctx context.Context, client *http.Client, o getURLOptions) (algo, want string, err error) {
	spec := o.Checksum
	if spec == "" {
		return "", "", nil
	}
	algo, value, _ := strings.Cut(spec, ":")
	algo = strings.ToLower(algo)
	if !strings.HasPrefix(value, "http://") && !strings.HasPrefix(value, "https://") {
		return algo, strings.ToLower(strings.TrimSpace(value)), nil
	}
	resp, err := send(ctx, client, o.request(), http.MethodGet, value, nil)
	if err != nil {
		return "", "", fmt.Errorf("Failed to download checksum file %s: %v", value, err)
	}
	defer resp.Body.Close()
	lines, err := io.ReadAll(io.LimitReader(resp.Body, maxContent))
	if err != nil || resp.StatusCode != http.StatusOK {
		return "", "", fmt.Errorf("Failed to download checksum file %s: %s", value, okMsg(resp))
	}
	name := path.Base(o.URL)
	var found []string
	for _, line := range strings.Split(string(lines), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 1:
			found = append(found, f[0])
		case len(f) >= 2 && strings.TrimPrefix(strings.TrimPrefix(f[1], "*"), "./") == name:
			return algo, strings.ToLower(f[0]), nil
		}
	}
	if len(found) == 1 {
		return algo, strings.ToLower(found[0]), nil
	}
	return "", "", fmt.Errorf("Unable to find a checksum for file '%s' in '%s'", name, value)
}

// hostDigest hashes a file on the host with the algorithm's coreutils tool.
func hostDigest(ctx context.Context, h *modules.Host, algo, p string) (string, error) {
	out, err := h.Query(ctx, modules.Command{Argv: []string{algo + "sum", "--", p}, Become: h.Become})
	if err != nil {
		return "", err
	}
	f := strings.Fields(out.Stdout)
	if out.RC != 0 || len(f) == 0 {
		return "", fmt.Errorf("%ssum %s: %s", algo, p, strings.TrimSpace(out.Stderr))
	}
	return f[0], nil
}
