package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// The .airgap bundle is a tar.gz holding airgap.yaml and app.tar.gz (plus
// images); app.tar.gz holds the release's YAML files, among them the
// kots.io/v1beta1 Config and the troubleshoot.sh Preflight
// (pkg/archives/airgap.go, pkg/pull/pull.go GetAppMetadataFromAirgap).

// release is what the fake needs from a bundle.
type release struct {
	slug, versionLabel string
	updateCursor       string // airgap.yaml spec.updateCursor: what KOTS compares
	items              []configItem
	preflights         []preflightCheck
}

type configItem struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Required bool   `json:"required,omitempty"`
	Default  string `json:"default,omitempty"`
}

// preflightCheck is one analyzer with its unconditional outcome.
type preflightCheck struct {
	Title   string `json:"title"`
	Outcome string `json:"outcome"` // pass, warn or fail
	Message string `json:"message"`
	Strict  bool   `json:"strict"`
}

// readBundle reads the release in an .airgap bundle.
func readBundle(path string) (release, error) {
	files, err := tgzFiles(path, "airgap.yaml", "app.tar.gz")
	if err != nil {
		return release{}, err
	}
	if files["airgap.yaml"] == nil {
		return release{}, fmt.Errorf("failed to find airgap.yaml in %s", path)
	}
	if files["app.tar.gz"] == nil {
		return release{}, fmt.Errorf("failed to find app.tar.gz in %s", path)
	}
	var meta struct {
		Kind string `yaml:"kind"`
		Spec struct {
			AppSlug      string `yaml:"appSlug"`
			VersionLabel string `yaml:"versionLabel"`
			UpdateCursor string `yaml:"updateCursor"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(files["airgap.yaml"], &meta); err != nil || meta.Kind != "Airgap" {
		return release{}, fmt.Errorf("failed to unmarshal airgap.yaml: not a kots.io/v1beta1 Airgap (%v)", err)
	}
	r := release{slug: meta.Spec.AppSlug, versionLabel: meta.Spec.VersionLabel, updateCursor: meta.Spec.UpdateCursor}
	appFiles, err := tgzAll(bytes.NewReader(files["app.tar.gz"]))
	if err != nil {
		return release{}, fmt.Errorf("failed to read app.tar.gz: %w", err)
	}
	for name, content := range appFiles {
		if err := r.addDocs(content); err != nil {
			return release{}, fmt.Errorf("app.tar.gz %s: %w", name, err)
		}
	}
	return r, nil
}

// tgzFiles returns the named top-level files of a tar.gz, reading no further
// than the last of them (as archives.GetFileFromAirgap does).
func tgzFiles(path string, names ...string) (map[string][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("failed to create gzip reader: %w", err)
	}
	tr := tar.NewReader(gz)
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string][]byte{}
	for len(out) < len(names) {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("failed to read tar: %w", err)
		}
		name := strings.TrimPrefix(h.Name, "./")
		if want[name] {
			if out[name], err = io.ReadAll(tr); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func tgzAll(r io.Reader) (map[string][]byte, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	out := map[string][]byte{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		if out[h.Name], err = io.ReadAll(tr); err != nil {
			return nil, err
		}
	}
}

// scalar reads any YAML scalar as its text (KOTS's BoolOrString).
type scalar string

func (s *scalar) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a scalar", n.Line)
	}
	*s = scalar(n.Value)
	return nil
}

type yamlConfigItem struct {
	Name     string `yaml:"name"`
	Type     string `yaml:"type"`
	Required bool   `yaml:"required"`
	Default  scalar `yaml:"default"`
}

type yamlAnalyzer struct {
	CheckName string               `yaml:"checkName"`
	Strict    scalar               `yaml:"strict"`
	Outcomes  []map[string]outcome `yaml:"outcomes"`
}

type outcome struct {
	When    string `yaml:"when"`
	Message string `yaml:"message"`
}

// addDocs collects the Config items and Preflight analyzers of a YAML file.
func (r *release) addDocs(content []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(content))
	for {
		var doc struct {
			APIVersion string `yaml:"apiVersion"`
			Kind       string `yaml:"kind"`
			Spec       struct {
				Groups []struct {
					Items []yamlConfigItem `yaml:"items"`
				} `yaml:"groups"`
				Analyzers []map[string]yamlAnalyzer `yaml:"analyzers"`
			} `yaml:"spec"`
		}
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case doc.APIVersion == "kots.io/v1beta1" && doc.Kind == "Config":
			for _, g := range doc.Spec.Groups {
				for _, it := range g.Items {
					r.items = append(r.items, configItem{Name: it.Name, Type: it.Type, Required: it.Required, Default: string(it.Default)})
				}
			}
		case strings.HasPrefix(doc.APIVersion, "troubleshoot.") && doc.Kind == "Preflight":
			for _, a := range doc.Spec.Analyzers {
				for kind, an := range a {
					r.preflights = append(r.preflights, evaluate(kind, an))
				}
			}
		}
	}
}

// evaluate applies an analyzer's first outcome without a `when`: the
// catch-all outcome, which troubleshoot takes when no condition matched. The
// fake has no cluster facts to test conditions against.
func evaluate(kind string, an yamlAnalyzer) preflightCheck {
	check := preflightCheck{Title: an.CheckName, Outcome: "pass", Strict: an.Strict == "true"}
	if check.Title == "" {
		check.Title = kind
	}
	for _, o := range an.Outcomes {
		for result, oc := range o {
			if oc.When == "" {
				check.Outcome, check.Message = result, oc.Message
				return check
			}
		}
	}
	return check
}

// license is the part of a kots.io/v1beta1 License the fake reads.
type license struct {
	raw     string
	appSlug string
}

func readLicense(path string) (*license, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to get license: failed to parse license file: %w", err)
	}
	var doc struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Spec       struct {
			AppSlug string `yaml:"appSlug"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil || doc.Kind != "License" || doc.APIVersion != "kots.io/v1beta1" {
		return nil, fmt.Errorf("failed to get license: failed to parse license file: not a kots.io/v1beta1 License")
	}
	return &license{raw: string(data), appSlug: doc.Spec.AppSlug}, nil
}
