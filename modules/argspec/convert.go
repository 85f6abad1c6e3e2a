package argspec

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ferry-sh/ferry/internal/humansize"
	"github.com/ferry-sh/ferry/internal/keyorder"
	"github.com/ferry-sh/ferry/internal/pyrepr"
	"github.com/ferry-sh/ferry/modules"
)

// convert is module_utils/common/validation.py's check_type_<wanted>: the
// value in the wanted type, or the checker's message.
func convert(wanted string, v any) (any, error) {
	switch wanted {
	case "str":
		return toStr(v), nil
	case "path":
		return expandPath(toStr(v)), nil
	case "raw":
		return v, nil
	case "list":
		return toList(v)
	case "dict":
		return toDict(v)
	case "bool":
		return toBool(v)
	case "int":
		return toInt(v)
	case "float":
		return toFloat(v)
	case "json", "jsonarg":
		return toJSONArg(v)
	case "bytes":
		return toSize(v, false, "Byte")
	case "bits":
		return toSize(v, true, "Bit")
	}
	// An unknown type: Ansible calls the missing checker.
	return nil, errors.New("'NoneType' object is not callable")
}

func toStr(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return pyrepr.Str(v)
}

// expandPath is check_type_path: $VARS and ~ expanded (on the controller,
// where Ansible's action plugin runs).
func expandPath(s string) string {
	s = os.ExpandEnv(s)
	if rest, ok := strings.CutPrefix(s, "~"); ok && (rest == "" || rest[0] == '/') {
		if home, err := os.UserHomeDir(); err == nil {
			s = filepath.Join(home, rest)
		}
	}
	return s
}

func toList(v any) (any, error) {
	switch x := v.(type) {
	case []any:
		return x, nil
	case string:
		var out []any
		for _, part := range strings.Split(x, ",") {
			out = append(out, part)
		}
		return out, nil
	case int, float64:
		return []any{pyrepr.Str(x)}, nil
	}
	return nil, fmt.Errorf("%s cannot be converted to a list", pyType(v))
}

func toDict(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		return x, nil
	case string:
		if strings.HasPrefix(x, "{") {
			var m map[string]any
			if json.Unmarshal([]byte(x), &m) == nil {
				return m, nil
			}
			return nil, errors.New("unable to evaluate string as dictionary")
		}
		if strings.Contains(x, "=") {
			return keyValues(x), nil
		}
		return nil, errors.New("dictionary requested, could not parse JSON or key=value")
	}
	return nil, fmt.Errorf("%s cannot be converted to a dict", pyType(v))
}

// keyValues splits "a=1, b='x y'" as check_type_dict does: fields end at a
// comma or space outside quotes, a backslash escapes the next character.
func keyValues(s string) map[string]any {
	var fields []string
	var field strings.Builder
	var quote rune
	escaped := false
	for _, c := range strings.TrimSpace(s) {
		switch {
		case escaped:
			field.WriteRune(c)
			escaped = false
		case c == '\\':
			escaped = true
		case quote == 0 && (c == '\'' || c == '"'):
			quote = c
		case quote != 0 && c == quote:
			quote = 0
		case quote == 0 && (c == ',' || c == ' '):
			if field.Len() > 0 {
				fields = append(fields, field.String())
			}
			field.Reset()
		default:
			field.WriteRune(c)
		}
	}
	if field.Len() > 0 {
		fields = append(fields, field.String())
	}
	b := keyorder.NewBuilder(len(fields))
	for _, f := range fields {
		k, val, _ := strings.Cut(f, "=")
		b.Put(k, val)
	}
	return b.Map()
}

// pyBooleans is BOOLEANS as the message of convert_bool.boolean lists it
// (a frozenset: Python's order varies with the hash seed; this is one).
const pyBooleans = "0, 1, 'n', 'false', '0', 'off', 'yes', 'y', 'f', 'no', 'on', 't', '1', 'true'"

func toBool(v any) (any, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		if strings.TrimSpace(x) != "" { // boolean("") is not a boolean
			if b, err := modules.ToBool(x); err == nil {
				return b, nil
			}
		}
	case int, float64:
		if n, _ := number(x); n == 0 || n == 1 {
			return n == 1, nil
		}
	default:
		return nil, fmt.Errorf("%s cannot be converted to a bool", pyType(v))
	}
	return nil, fmt.Errorf("The value '%s' is not a valid boolean.  Valid booleans include: %s", pyrepr.Str(v), pyBooleans)
}

func toInt(v any) (any, error) {
	switch x := v.(type) {
	case int, bool: // a bool is an int in Python
		return x, nil
	case string:
		if n, err := strconv.ParseInt(strings.ReplaceAll(strings.TrimSpace(x), "_", ""), 10, 64); err == nil {
			return int(n), nil
		}
	}
	return nil, fmt.Errorf("%s cannot be converted to an int", pyType(v))
}

func toFloat(v any) (any, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case int:
		return float64(x), nil
	case string:
		if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
			return f, nil
		}
	}
	return nil, fmt.Errorf("%s cannot be converted to a float", pyType(v))
}

// toSize is check_type_bytes and check_type_bits: human_to_bytes of the
// value's str() ('1M', 2048, '8 Mb'), rounded half to even.
func toSize(v any, isBits bool, unit string) (any, error) {
	if n, ok := humansize.ToBytes(pyrepr.Str(v), "", isBits); ok && math.Abs(n) < 1<<63 {
		return int(math.RoundToEven(n)), nil
	}
	return nil, fmt.Errorf("%s cannot be converted to a %s value", pyType(v), unit)
}

func toJSONArg(v any) (any, error) {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x), nil
	case []any, map[string]any:
		data, _ := json.Marshal(x)
		return string(data), nil
	}
	return nil, fmt.Errorf("%s cannot be converted to a json string", pyType(v))
}

// pyType is Python's type() of a value as Ansible's action receives it: a
// string is the YAML loader's AnsibleUnicode, containers are the plain ones
// that templating the arguments rebuilds.
func pyType(v any) string {
	name := "str"
	switch v.(type) {
	case string:
		name = "ansible.parsing.yaml.objects.AnsibleUnicode"
	case int:
		name = "int"
	case float64:
		name = "float"
	case bool:
		name = "bool"
	case []any:
		name = "list"
	case map[string]any:
		name = "dict"
	case nil:
		name = "NoneType"
	}
	return "<class '" + name + "'>"
}

// pyEqual is Python's == between a choice and a value: numbers (and bools,
// which are ints) by value, the rest by type and value.
func pyEqual(a, b any) bool {
	na, aNum := number(a)
	nb, bNum := number(b)
	if aNum || bNum {
		return aNum && bNum && na == nb
	}
	return fmt.Sprintf("%T:%s", a, pyrepr.Str(a)) == fmt.Sprintf("%T:%s", b, pyrepr.Str(b))
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case float64:
		return x, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}
