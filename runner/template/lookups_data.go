package template

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ferry-sh/ferry/vault"
)

// Lookup plugins that read data files (csvfile, ini, unvault), pick at
// random (random_choice) or ask the inventory (inventory_hostnames), as
// ansible-core 2.14's lib/ansible/plugins/lookup/*.py do.

func init() {
	lookupPlugins["csvfile"] = lookupSpec{kw: csvOptions, run: lookupCSVFile}
	lookupPlugins["ini"] = lookupSpec{kw: iniOptionNames, run: lookupINI}
	lookupPlugins["unvault"] = lookupSpec{run: lookupUnvault}
	lookupPlugins["random_choice"] = lookupSpec{run: lookupRandomChoice}
	lookupPlugins["inventory_hostnames"] = lookupSpec{run: lookupInventoryHostnames}
}

// readFile reads a lookup's file, decrypting it when ansible-vault
// encrypted it (Ansible's loader does so for file, unvault, csvfile and
// ini alike); what a vault hid is a secret from then on.
func (c *lookupCall) readFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("could not read %s: %v", path, err)
	}
	if !vault.IsEncrypted(b) {
		return b, nil
	}
	if c.e.opts.Decrypt == nil {
		return nil, fmt.Errorf("%s is encrypted with ansible-vault and no vault password was given: pass --vault-password-file FILE, --vault-id [LABEL@]FILE or --ask-vault-pass", path)
	}
	plain, err := c.e.opts.Decrypt(b, path)
	if err != nil {
		return nil, err
	}
	if c.e.opts.Secret != nil {
		c.e.opts.Secret(string(plain))
		c.e.opts.Secret(strings.TrimSpace(string(plain)))
	}
	return plain, nil
}

func lookupUnvault(c *lookupCall, terms []any) ([]any, error) {
	out := []any{}
	for _, t := range terms {
		path, ok := c.findFile("files", pyStr(t))
		if !ok {
			return nil, fmt.Errorf("Unable to find file matching \"%s\" ", pyStr(t))
		}
		b, err := c.readFile(path)
		if err != nil {
			return nil, err
		}
		out = append(out, string(b)) // unvault keeps the file's whitespace
	}
	return out, nil
}

func lookupRandomChoice(_ *lookupCall, terms []any) ([]any, error) {
	if len(terms) == 0 {
		return terms, nil
	}
	return []any{terms[rand.IntN(len(terms))]}, nil
}

func lookupInventoryHostnames(c *lookupCall, terms []any) ([]any, error) {
	if c.e.opts.Hosts == nil {
		return []any{}, nil
	}
	patterns := make([]string, len(terms))
	for i, t := range terms {
		patterns[i] = pyStr(t)
	}
	names, err := c.e.opts.Hosts(strings.Join(patterns, ":"))
	if err != nil {
		return nil, err
	}
	out := make([]any, len(names))
	for i, n := range names {
		out[i] = n
	}
	return out, nil
}

var csvOptions = []string{"col", "default", "delimiter", "file", "encoding"}

// termOptions is a term's inline `key opt=value...` form (parse_kv): the
// key and the options it overrides, which must be the plugin's own.
func (c *lookupCall) termOptions(plugin string, term any, names []string, defaults map[string]any) (string, map[string]any, error) {
	kvs, raw, err := ParseKV(pyStr(term), false)
	if err != nil {
		return "", nil, err
	}
	opts := map[string]any{}
	for k, v := range defaults {
		opts[k] = v
	}
	for k, v := range c.kw {
		opts[k] = v
	}
	for _, kv := range kvs {
		if !slices.Contains(names, kv.Key) {
			return "", nil, fmt.Errorf("%s is not a valid option (%s accepts: %s)", kv.Key, plugin, strings.Join(names, ", "))
		}
		opts[kv.Key] = kv.Value
	}
	return raw, opts, nil
}

func lookupCSVFile(c *lookupCall, terms []any) ([]any, error) {
	out := []any{}
	for _, t := range terms {
		key, opts, err := c.termOptions("csvfile", t, csvOptions,
			map[string]any{"col": "1", "delimiter": "TAB", "file": "ansible.csv", "encoding": "utf-8"})
		if err != nil {
			return nil, err
		}
		if key == "" {
			return nil, errors.New("Search key is required but was not found")
		}
		v, found, err := c.readCSV(key, opts)
		if err != nil {
			return nil, fmt.Errorf("csvfile: %v", err)
		}
		if !found {
			v = opts["default"]
		}
		if v != nil {
			out = append(out, v)
		}
	}
	return out, nil
}

// readCSV returns column col of the first row whose first field is key
// (Python's csv module, excel dialect, with the given delimiter).
func (c *lookupCall) readCSV(key string, opts map[string]any) (any, bool, error) {
	if enc := strings.ToLower(pyStr(opts["encoding"])); enc != "utf-8" && enc != "utf8" {
		return nil, false, fmt.Errorf("encoding %s is not supported (ferry reads UTF-8)", enc)
	}
	delim := pyStr(opts["delimiter"])
	if delim == "TAB" || delim == `\t` {
		delim = "\t"
	}
	if utf8.RuneCountInString(delim) != 1 {
		return nil, false, errors.New(`"delimiter" must be a 1-character string`)
	}
	col, err := strconv.Atoi(pyStr(opts["col"]))
	if err != nil {
		return nil, false, fmt.Errorf("invalid literal for int() with base 10: '%s'", pyStr(opts["col"]))
	}
	path, ok := c.findFile("files", pyStr(opts["file"]))
	if !ok {
		return nil, false, fmt.Errorf("[Errno 2] No such file or directory: '%s'", pyStr(opts["file"]))
	}
	data, err := c.readFile(path)
	if err != nil {
		return nil, false, err
	}
	r := csv.NewReader(strings.NewReader(string(data)))
	r.Comma, _ = utf8.DecodeRuneInString(delim)
	r.FieldsPerRecord, r.LazyQuotes = -1, true
	for {
		row, err := r.Read()
		if err == io.EOF {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		if len(row) > 0 && row[0] == key {
			if col < -len(row) || col >= len(row) {
				return nil, false, errors.New("list index out of range")
			}
			if col < 0 {
				col += len(row)
			}
			return row[col], true, nil
		}
	}
}

var iniOptionNames = []string{"type", "file", "section", "re", "encoding", "default", "case_sensitive", "allow_no_value", "allow_none"}

func lookupINI(c *lookupCall, terms []any) ([]any, error) {
	out := []any{}
	for _, t := range terms {
		key, opts, err := c.termOptions("ini", t, iniOptionNames,
			map[string]any{"type": "ini", "file": "ansible.ini", "section": "global", "re": false, "encoding": "utf-8", "default": ""})
		if err != nil {
			return nil, err
		}
		if key == "" {
			return nil, fmt.Errorf("No key to lookup was provided as first term with in string inline options: %s", pyStr(t))
		}
		vals, err := c.iniValues(key, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, vals...)
	}
	return out, nil
}

// iniValues looks key up in the options' file and section: one value (the
// default when missing), or with re=true every value whose key matches.
func (c *lookupCall) iniValues(key string, opts map[string]any) ([]any, error) {
	file := pyStr(opts["file"])
	path, ok := c.findFile("files", file)
	if !ok {
		return nil, fmt.Errorf("could not locate file in lookup: %s", file)
	}
	data, err := c.readFile(path)
	if err != nil {
		return nil, err
	}
	section := pyStr(opts["section"])
	if pyStr(opts["type"]) == "properties" {
		data = append([]byte("[java_properties]\n"), data...)
		section = "java_properties"
	}
	f, err := parseINI(data, truthy(opts["case_sensitive"]))
	if err != nil {
		return nil, fmt.Errorf("ini file %s: %v", file, err)
	}
	items, ok := f.items(section)
	if !ok {
		return nil, fmt.Errorf("No section '%s' in %s", section, file)
	}
	if truthy(opts["re"]) {
		re, err := regexp.Compile(`^(?:` + key + `)`)
		if err != nil {
			return nil, fmt.Errorf("ini: bad regular expression %q: %v", key, err)
		}
		out := []any{}
		for _, kv := range items {
			if re.MatchString(kv.Key) {
				out = append(out, kv.Value)
			}
		}
		return out, nil
	}
	if !truthy(opts["case_sensitive"]) {
		key = strings.ToLower(key)
	}
	for _, kv := range items {
		if kv.Key == key {
			return []any{kv.Value}, nil
		}
	}
	return []any{opts["default"]}, nil
}
