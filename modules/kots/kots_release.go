package kots

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"github.com/ferry-sh/ferry/modules"
	"io"
	"os"
	"strings"
)

func init() { modules.Register(kotsReleaseModule{}) }

// kotsReleaseModule reads the release in the app's .airgap bundle on the
// controller, before anything is staged or installed, and checks the
// site's ConfigValues against the release's kind: Config: a key the release
// does not define, or a required item left without a value, would otherwise
// surface only at the app step, after kURL has run for an hour. The item
// names of a vendor's release are not published, so this is where a wrong
// guess is caught: the failure lists the items the release defines.
type kotsReleaseModule struct{}

func (kotsReleaseModule) Spec() modules.Spec {
	return modules.Spec{
		Name:    "kots_release",
		Summary: "Read the KOTS release in an .airgap bundle on the controller and check ConfigValues against its Config items (read-only)",
		Args:    modules.OptionsOf[kotsReleaseArgs](),
		Check:   modules.CheckSupported,
	}
}

func (kotsReleaseModule) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	a, err := modules.Decode[kotsReleaseArgs](args)
	if err != nil {
		return modules.Result{}, err
	}
	values, err := valuesFromArg(a.ConfigValues)
	if err != nil {
		return modules.Result{}, err
	}
	path, err := h.ControllerFile("files", a.Bundle)
	if err != nil {
		return modules.Result{}, err
	}
	r, err := readLocalRelease(ctx, path)
	if err != nil {
		return modules.Result{}, err
	}
	data := map[string]any{"app_slug": r.slug, "version_label": r.versionLabel, "items": r.itemList()}
	problems := errors.Join(r.checkKeys(values, "config_values"), r.checkRequired(values))
	if problems != nil {
		return modules.Result{Failed: true, Data: data, Msg: strings.ReplaceAll(problems.Error(), "\n", "; ")}, nil
	}
	return modules.Result{Data: data, Msg: fmt.Sprintf("%s %s defines every config_values key (%d items)", r.slug, r.versionLabel, len(r.items))}, nil
}

// readLocalRelease streams the bundle until it has airgap.yaml and
// app.tar.gz, each bounded.
func readLocalRelease(ctx context.Context, path string) (kotsRelease, error) {
	f, err := os.Open(path)
	if err != nil {
		return kotsRelease{}, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return kotsRelease{}, fmt.Errorf("%s is not a gzip-compressed .airgap bundle: %w", path, err)
	}
	limits := map[string]int64{"airgap.yaml": 1 << 20, "app.tar.gz": maxAppArchive}
	found := map[string][]byte{}
	tr := tar.NewReader(gz)
	for len(found) < len(limits) && ctx.Err() == nil {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return kotsRelease{}, fmt.Errorf("reading %s: %w", path, err)
		}
		name := strings.TrimPrefix(hdr.Name, "./")
		limit, wanted := limits[name]
		if !wanted || hdr.Typeflag != tar.TypeReg {
			continue
		}
		if hdr.Size > limit {
			return kotsRelease{}, fmt.Errorf("%s in %s is larger than %s; this is not a KOTS release", name, path, modules.HumanBytes(limit))
		}
		if found[name], err = io.ReadAll(tr); err != nil {
			return kotsRelease{}, fmt.Errorf("reading %s from %s: %w", name, path, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return kotsRelease{}, err
	}
	for name := range limits {
		if found[name] == nil {
			return kotsRelease{}, fmt.Errorf("%s has no %s: is it the Dash Enterprise .airgap bundle?", path, name)
		}
	}
	return parseKotsRelease(found["airgap.yaml"], found["app.tar.gz"], path)
}

// checkRequired names the required items without a default that values
// leaves unset: KOTS would stop the install at pending_config.
func (r kotsRelease) checkRequired(values kotsValues) error {
	var missing []string
	for _, name := range r.itemNames() {
		it := r.items[name]
		if _, set := values[name]; it.required && it.def == "" && !set {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("the release %s %s requires a value for %s, which config_values does not set (KOTS would stop at pending_config: \"Additional app configuration is required\")",
		r.slug, r.versionLabel, strings.Join(missing, ", "))
}

// itemList describes the release's items for register.
func (r kotsRelease) itemList() []any {
	out := make([]any, 0, len(r.items))
	for _, name := range r.itemNames() {
		it := r.items[name]
		out = append(out, map[string]any{"name": it.name, "type": it.typ, "required": it.required, "default": it.def})
	}
	return out
}
