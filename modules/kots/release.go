package kots

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"github.com/ferry-sh/ferry/modules"
	"io"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ferry-sh/ferry/internal/suggest"
)

// What kots_upload learns from the files on the host before it runs any
// kots command: the release in the .airgap bundle (slug, version label, the
// Config items), the license's app slug, and the ConfigValues to apply.

// maxAppArchive bounds app.tar.gz, the release's manifests, read back from
// the host: it is kilobytes to a few megabytes; anything near this is not a
// KOTS release.
const maxAppArchive = 256 << 20

// kotsRelease is what a bundle says about its release.
type kotsRelease struct {
	slug, versionLabel string
	items              map[string]kotsItem
}

type kotsItem struct {
	name, typ, def string
	required       bool
}

// readKotsRelease reads airgap.yaml and app.tar.gz from the bundle on the
// host. GNU tar stops at the first occurrence of each, so a bundle that lists
// them first (as KOTS bundles do) is not read to its end; only app.tar.gz,
// the small archive of manifests, travels back over the connection.
func readKotsRelease(ctx context.Context, h *modules.Host, bundle string) (kotsRelease, error) {
	meta, err := tarMember(ctx, h, bundle, "airgap.yaml", 1<<20)
	if err != nil {
		return kotsRelease{}, err
	}
	app, err := tarMember(ctx, h, bundle, "app.tar.gz", maxAppArchive)
	if err != nil {
		return kotsRelease{}, err
	}
	return parseKotsRelease(meta, app, bundle+" on "+modules.HostLabel(h))
}

// parseKotsRelease reads a bundle's airgap.yaml and app.tar.gz; where names
// the bundle in errors.
func parseKotsRelease(meta, app []byte, where string) (kotsRelease, error) {
	var airgap struct {
		Kind string `yaml:"kind"`
		Spec struct {
			AppSlug      string `yaml:"appSlug"`
			VersionLabel string `yaml:"versionLabel"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(meta, &airgap); err != nil || airgap.Kind != "Airgap" {
		return kotsRelease{}, fmt.Errorf("%s: airgap.yaml is not a KOTS Airgap document (kind %q, %v); is this a KOTS .airgap bundle?", where, airgap.Kind, err)
	}
	if airgap.Spec.VersionLabel == "" {
		return kotsRelease{}, fmt.Errorf("%s: airgap.yaml has no spec.versionLabel", where)
	}
	items, err := releaseConfigItems(app)
	if err != nil {
		return kotsRelease{}, fmt.Errorf("%s: app.tar.gz: %w", where, err)
	}
	return kotsRelease{slug: airgap.Spec.AppSlug, versionLabel: airgap.Spec.VersionLabel, items: items}, nil
}

// tarMember streams one member of a tar.gz on the host back, at most limit
// bytes of it.
func tarMember(ctx context.Context, h *modules.Host, archive, member string, limit int64) ([]byte, error) {
	out := &modules.LimitedBuffer{Limit: limit}
	res, err := h.Query(ctx, modules.Command{Argv: []string{"tar", "-xzO", "--occurrence=1", "-f", archive, member}, Stdout: out})
	if err != nil {
		return nil, fmt.Errorf("reading %s from %s on %s: %w", member, archive, modules.HostLabel(h), err)
	}
	if out.Exceeded {
		return nil, fmt.Errorf("%s in %s on %s is larger than %s; this is not a KOTS release", member, archive, modules.HostLabel(h), modules.HumanBytes(limit))
	}
	if res.RC != 0 {
		return nil, fmt.Errorf("cannot read %s from %s on %s (tar rc %d): %s; is airgap_bundle the Dash Enterprise .airgap bundle?",
			member, archive, modules.HostLabel(h), res.RC, modules.FirstLine(res.Stderr))
	}
	return out.Bytes(), nil
}

// releaseConfigItems collects the items of every kots.io/v1beta1 Config in the
// release archive (groups[].items[]; the `items` of a select_one item are
// its options, not config items).
func releaseConfigItems(archive []byte) (map[string]kotsItem, error) {
	gz, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	items := map[string]kotsItem{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return items, nil
		}
		if err != nil {
			return nil, err
		}
		if hdr.Typeflag != tar.TypeReg || !(strings.HasSuffix(hdr.Name, ".yaml") || strings.HasSuffix(hdr.Name, ".yml")) {
			continue
		}
		content, err := io.ReadAll(io.LimitReader(tr, maxAppArchive))
		if err != nil {
			return nil, err
		}
		addConfigItems(content, items)
	}
}

// addConfigItems adds the Config items of a YAML file's documents. Files
// that are not YAML KOTS understands (Helm templates) are skipped, as the
// documents of other kinds are.
func addConfigItems(content []byte, items map[string]kotsItem) {
	dec := yaml.NewDecoder(bytes.NewReader(content))
	for {
		var doc struct {
			APIVersion string `yaml:"apiVersion"`
			Kind       string `yaml:"kind"`
			Spec       struct {
				Groups []struct {
					Items []struct {
						Name     string    `yaml:"name"`
						Type     string    `yaml:"type"`
						Default  yaml.Node `yaml:"default"`
						Required bool      `yaml:"required"`
					} `yaml:"items"`
				} `yaml:"groups"`
			} `yaml:"spec"`
		}
		if err := dec.Decode(&doc); err != nil {
			return
		}
		if doc.APIVersion != "kots.io/v1beta1" || doc.Kind != "Config" {
			continue
		}
		for _, g := range doc.Spec.Groups {
			for _, it := range g.Items {
				items[it.Name] = kotsItem{name: it.Name, typ: it.Type, def: it.Default.Value, required: it.Required}
			}
		}
	}
}

func (r kotsRelease) itemNames() []string {
	names := make([]string, 0, len(r.items))
	for n := range r.items {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// checkKeys rejects ConfigValues keys the release does not define, before
// the long install starts: KOTS would ignore them silently.
func (r kotsRelease) checkKeys(values kotsValues, source string) error {
	var problems []error
	for _, key := range values.keys() {
		if _, ok := r.items[key]; ok {
			continue
		}
		msg := fmt.Sprintf("%s: %q is not a config item of %s %s", source, key, r.slug, r.versionLabel)
		if hint := suggest.Hint(key, r.itemNames()); hint != "" {
			msg += "; " + hint
		}
		msg += fmt.Sprintf("; its items are: %s", strings.Join(r.itemNames(), ", "))
		problems = append(problems, errors.New(msg))
	}
	return errors.Join(problems...)
}

// readLicenseSlug reads spec.appSlug of the kots.io/v1beta1 License on the host.
func readLicenseSlug(ctx context.Context, h *modules.Host, path string) (string, error) {
	data, err := modules.ReadFile(ctx, h, path, 1<<20)
	if err != nil {
		return "", fmt.Errorf("reading license_file %s on %s: %w", path, modules.HostLabel(h), err)
	}
	var lic struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Spec       struct {
			AppSlug string `yaml:"appSlug"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(data, &lic); err != nil || lic.Kind != "License" || lic.APIVersion != "kots.io/v1beta1" {
		return "", fmt.Errorf("license_file %s on %s is not a kots.io/v1beta1 License (the .yaml file Plotly sent)", path, modules.HostLabel(h))
	}
	return lic.Spec.AppSlug, nil
}

// kotsValue is one ConfigValues entry (kotskinds ConfigValue).
type kotsValue struct {
	Value          string `yaml:"value,omitempty"`
	ValuePlaintext string `yaml:"valuePlaintext,omitempty"`
	Data           string `yaml:"data,omitempty"`
	DataPlaintext  string `yaml:"dataPlaintext,omitempty"`
	Filename       string `yaml:"filename,omitempty"`
}

// kotsValues are the ConfigValues the user supplied, by item name.
type kotsValues map[string]kotsValue

func (v kotsValues) keys() []string {
	return slices.Sorted(maps.Keys(v))
}

// kotsValueFields are the fields a config_values entry may set.
var kotsValueFields = []string{"value", "valuePlaintext", "data", "dataPlaintext", "filename"}

// valuesFromArg reads config_values: item -> scalar, or item -> mapping of
// kotsValueFields. KOTS wants every value as a string; a YAML boolean
// becomes "1" or "0", as KOTS bool items store it.
func valuesFromArg(raw map[string]any) (kotsValues, error) {
	values := kotsValues{}
	var problems []error
	for _, key := range slices.Sorted(maps.Keys(raw)) {
		v, err := valueFromArg(raw[key])
		if err != nil {
			problems = append(problems, fmt.Errorf("config_values.%s: %w", key, err))
			continue
		}
		values[key] = v
	}
	return values, errors.Join(problems...)
}

func valueFromArg(raw any) (kotsValue, error) {
	m, ok := raw.(map[string]any)
	if !ok {
		s, err := kotsString(raw)
		return kotsValue{Value: s}, err
	}
	var v kotsValue
	fields := map[string]*string{"value": &v.Value, "valuePlaintext": &v.ValuePlaintext, "data": &v.Data,
		"dataPlaintext": &v.DataPlaintext, "filename": &v.Filename}
	for _, name := range slices.Sorted(maps.Keys(m)) {
		dst, ok := fields[name]
		if !ok {
			return v, &modules.ArgError{Msg: fmt.Sprintf("%q is not a ConfigValues field (%s)", name, strings.Join(kotsValueFields, ", ")),
				Hint: suggest.Hint(name, kotsValueFields)}
		}
		s, err := kotsString(m[name])
		if err != nil {
			return v, fmt.Errorf("%s: %w", name, err)
		}
		*dst = s
	}
	return v, nil
}

func kotsString(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		if x {
			return "1", nil
		}
		return "0", nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case nil:
		return "", fmt.Errorf("no value; give a string (\"\" for empty)")
	}
	return "", fmt.Errorf("want a string, got %s", modules.TypeName(v))
}

// configValuesDoc is the kots.io/v1beta1 ConfigValues document.
type configValuesDoc struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name,omitempty"`
	} `yaml:"metadata"`
	Spec struct {
		Values map[string]kotsValue `yaml:"values"`
	} `yaml:"spec"`
}

// renderKotsConfigValues is the file given to kots install and set config.
// yaml.v3 sorts the keys, so equal values render to equal files.
// maskedValues is values with every plaintext secret (password items'
// valuePlaintext, dataPlaintext) replaced by ********, for a plan; the
// output's masking catches the rest (a TLS key's base64, registered by tls).
func (v kotsValues) maskedValues() kotsValues {
	out := kotsValues{}
	for k, val := range v {
		if val.ValuePlaintext != "" {
			val.ValuePlaintext = "********"
		}
		if val.DataPlaintext != "" {
			val.DataPlaintext = "********"
		}
		out[k] = val
	}
	return out
}

// appliedValues is the --diff of a run (or a check run) that installs the app or
// sets its config: the ConfigValues it applies, secrets masked (issue 16).
func (r *kotsRun) appliedValues() []modules.Diff {
	applies := false
	for _, c := range r.h.Changes() {
		applies = applies || strings.Contains(c, " install ") || strings.Contains(c, " set config ")
	}
	if !applies || r.values == nil {
		return nil
	}
	text, err := renderKotsConfigValues(r.o.slug, r.values.maskedValues())
	if err != nil {
		return nil
	}
	return []modules.Diff{{Path: "ConfigValues of " + r.o.slug + " (applied by kots)", After: text}}
}

func renderKotsConfigValues(slug string, values kotsValues) (string, error) {
	var doc configValuesDoc
	doc.APIVersion, doc.Kind = "kots.io/v1beta1", "ConfigValues"
	doc.Metadata.Name = slug
	doc.Spec.Values = values
	b, err := yaml.Marshal(doc)
	return string(b), err
}

// parseConfigValues reads a ConfigValues document (config_values_file, or
// `kubectl kots get config`'s output, which also carries `default`).
func parseConfigValues(data []byte) (kotsValues, map[string]string, error) {
	var doc struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Spec       struct {
			Values map[string]struct {
				kotsValue `yaml:",inline"`
				Default   string `yaml:"default"`
			} `yaml:"values"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, nil, err
	}
	if doc.APIVersion != "kots.io/v1beta1" || doc.Kind != "ConfigValues" {
		return nil, nil, fmt.Errorf("not a kots.io/v1beta1 ConfigValues document (apiVersion %q, kind %q)", doc.APIVersion, doc.Kind)
	}
	values, defaults := kotsValues{}, map[string]string{}
	for k, v := range doc.Spec.Values {
		values[k] = v.kotsValue
		defaults[k] = v.Default
	}
	return values, defaults, nil
}

// secretValues registers what must never be shown: plaintext fields, and
// the values of password and file items (a file item may hold a TLS key).
func (v kotsValues) secretValues(h *modules.Host, r kotsRelease) {
	for key, val := range v {
		h.AddSecret(val.ValuePlaintext)
		h.AddSecret(val.DataPlaintext)
		if t := r.items[key].typ; t == "password" || t == "file" {
			h.AddSecret(val.Value)
			h.AddSecret(val.Data)
		}
	}
}

// drift lists the supplied keys whose value differs from the installed
// config (`get config --decrypt`: password items decrypted into `value`). An
// empty installed value stands for the item's default.
func (v kotsValues) drift(current kotsValues, defaults map[string]string) []string {
	var differ []string
	for _, key := range v.keys() {
		want, have := v[key], current[key]
		effective := have.Value
		if effective == "" {
			effective = defaults[key]
		}
		same := (want.Value == "" || want.Value == have.Value || want.Value == effective) &&
			(want.ValuePlaintext == "" || want.ValuePlaintext == have.Value) &&
			(want.Data == "" || want.Data == have.Data) &&
			(want.DataPlaintext == "" || want.DataPlaintext == have.Data) &&
			(want.Filename == "" || want.Filename == have.Filename)
		if !same {
			differ = append(differ, key)
		}
	}
	return differ
}
