package template

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ferry-sh/ferry/internal/keyorder"
)

// Dicts keep their insertion order, as Python's do (package keyorder):
// every dict the engine makes records its order, and every place that
// walks a dict's keys (for loops, items(), dict2items, to_json, the text
// of a dict) goes through dictKeys.

// dictKeys are m's keys in insertion order (sorted for a map whose order
// was not recorded).
func dictKeys(m map[string]any) []string { return keyorder.Keys(m) }

// pair is the two-key dict of dict2items and with_dict: {key: k, value: v}.
func pair(kn string, k any, vn string, v any) map[string]any {
	b := keyorder.NewBuilder(2)
	b.Put(kn, k)
	b.Put(vn, v)
	return b.Map()
}

// decodeJSON reads one JSON value, its objects' keys in document order and
// numbers as Python's json module reads them (int or float).
func decodeJSON(text string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	v, err := jsonValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("extra data after the value")
	}
	return v, nil
}

func jsonValue(dec *json.Decoder, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			out := []any{}
			for dec.More() {
				v, err := jsonValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			}
			_, err := dec.Token()
			return out, err
		}
		b := keyorder.NewBuilder(4)
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := jsonValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			b.Put(k.(string), v)
		}
		_, err := dec.Token()
		return b.Map(), err
	case json.Number:
		return fromJSONNumbers(t), nil
	}
	return tok, nil
}

// decodeYAML reads a YAML document (from_yaml), its mappings' keys in
// document order.
func decodeYAML(text string) (any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return yamlValue(doc.Content[0], 0)
}

func yamlValue(n *yaml.Node, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("nested too deeply")
	}
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := yamlValue(c, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		b := keyorder.NewBuilder(len(n.Content) / 2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			var k any
			if err := n.Content[i].Decode(&k); err != nil {
				return nil, err
			}
			v, err := yamlValue(n.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			if k == "<<" { // a merge key: the merged mapping's keys
				if m, ok := v.(map[string]any); ok {
					for _, mk := range dictKeys(m) {
						b.Put(mk, m[mk])
					}
					continue
				}
			}
			b.Put(pyStr(k), v)
		}
		return b.Map(), nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, fmt.Errorf("%v", err)
	}
	return v, nil
}
