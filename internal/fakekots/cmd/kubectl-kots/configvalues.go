package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"sort"

	"sigs.k8s.io/yaml"
)

// configValue is kotskinds' ConfigValue (apis/kots/v1beta1/configvalues_types.go).
type configValue struct {
	Default        string `json:"default,omitempty"`
	Value          string `json:"value,omitempty"`
	Data           string `json:"data,omitempty"`
	ValuePlaintext string `json:"valuePlaintext,omitempty"`
	DataPlaintext  string `json:"dataPlaintext,omitempty"`
	Filename       string `json:"filename,omitempty"`
	RepeatableItem string `json:"repeatableItem,omitempty"`
}

// configValues is kotskinds' ConfigValues, marshalled with sigs.k8s.io/yaml
// as the real CLI does (hence metadata.creationTimestamp and status).
type configValues struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name              string  `json:"name,omitempty"`
		CreationTimestamp *string `json:"creationTimestamp"`
	} `json:"metadata"`
	Spec struct {
		Values map[string]configValue `json:"values"`
	} `json:"spec"`
	Status struct{} `json:"status"`
}

// readConfigValues parses a ConfigValues file (pull.ParseConfigValuesFromFile).
func readConfigValues(path string) (map[string]configValue, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read config values file: %w", err)
	}
	var cv configValues
	if err := yaml.Unmarshal(data, &cv); err != nil {
		return nil, fmt.Errorf("failed to decode config values: %w", err)
	}
	if cv.APIVersion != "kots.io/v1beta1" || cv.Kind != "ConfigValues" {
		return nil, fmt.Errorf("failed to decode config values: expected kots.io/v1beta1 ConfigValues, got %s %s", cv.APIVersion, cv.Kind)
	}
	return normalise(cv.Spec.Values), nil
}

// normalise stores what kotsadm would: valuePlaintext becomes the value (it
// is encrypted at rest; the fake marks it so when printed), and the
// informational default is dropped.
func normalise(in map[string]configValue) map[string]configValue {
	out := map[string]configValue{}
	for k, v := range in {
		if v.ValuePlaintext != "" {
			v.Value, v.ValuePlaintext = v.ValuePlaintext, ""
		}
		if v.DataPlaintext != "" {
			v.Data, v.DataPlaintext = v.DataPlaintext, ""
		}
		v.Default = ""
		out[k] = v
	}
	return out
}

// renderConfig is `get config`'s output: every item of the release with its
// default, its value (password items encrypted unless decrypt), data and
// filename (configGroupToValues and decryptGroups in get-config.go).
func renderConfig(v *version, decrypt bool) ([]byte, error) {
	var cv configValues
	cv.APIVersion, cv.Kind = "kots.io/v1beta1", "ConfigValues"
	cv.Spec.Values = map[string]configValue{}
	for _, item := range v.Items {
		stored := v.Values[item.Name]
		out := configValue{Default: item.Default, Value: stored.Value, Data: stored.Data, Filename: stored.Filename}
		if item.Type == "password" && out.Value != "" && !decrypt {
			out.Value = encrypt(out.Value)
		}
		cv.Spec.Values[item.Name] = out
	}
	return yaml.Marshal(cv)
}

// encrypt stands for kotsadm's AES encryption of password items: base64 of
// bytes that are not the plaintext.
func encrypt(s string) string {
	b := []byte(s)
	for i := range b {
		b[i] ^= 0x5a
	}
	return base64.StdEncoding.EncodeToString(append([]byte("fakekots:"), b...))
}

// missingRequired lists the required items that have neither a value nor a
// default: kotsadm then leaves the version in pending_config.
func missingRequired(items []configItem, values map[string]configValue) []string {
	var missing []string
	for _, it := range items {
		v := values[it.Name]
		if it.Required && it.Default == "" && v.Value == "" && v.Data == "" {
			missing = append(missing, it.Name)
		}
	}
	sort.Strings(missing)
	return missing
}

// mergeValues is `set config --merge`: the given keys replace the old ones.
func mergeValues(old, given map[string]configValue) map[string]configValue {
	out := map[string]configValue{}
	for k, v := range old {
		out[k] = v
	}
	for k, v := range given {
		out[k] = v
	}
	return out
}
