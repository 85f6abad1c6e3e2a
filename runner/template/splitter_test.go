package template

import (
	"reflect"
	"testing"
)

// TestParseKV compares with what Ansible 2.14's parse_kv returns for the same
// strings (printed by python3 -c 'from ansible.parsing.splitter import
// parse_kv; print(parse_kv(s))'); "_raw_params" is the free-form text.
func TestParseKV(t *testing.T) {
	cases := []struct {
		in       string
		checkRaw bool
		want     map[string]string
	}{
		{`msg="{{ a if b else 'x y' }}" other=1`, false, map[string]string{"msg": "{{ a if b else 'x y' }}", "other": "1"}},
		{`msg={{ x | default('a b=c') }} y=2`, false, map[string]string{"msg": "{{ x | default('a b=c') }}", "y": "2"}},
		{`a='it''s' b="q \"x\" y"`, false, map[string]string{"a": "it''s", "b": `q "x" y`}},
		{`path=/tmp/x  state=directory`, false, map[string]string{"path": "/tmp/x", "state": "directory"}},
		{`msg='a=b' c=d=e`, false, map[string]string{"msg": "a=b", "c": "d=e"}},
		{"a=1\nb=2", false, map[string]string{"a": "1", "b": "2"}},
		{`x="{{ '{' }}"`, false, map[string]string{"x": "{{ '{' }}"}},
		{`chdir=/tmp echo a=b "c d"`, false, map[string]string{"chdir": "/tmp", "a": "b", "_raw_params": `echo "c d"`}},
		{`chdir=/tmp echo a=b "c d"`, true, map[string]string{"chdir": "/tmp", "_raw_params": `echo a=b "c d"`}},
		{`a=\n b=c\=d e\=f`, false, map[string]string{"a": "", "b": `c\=d`, "_raw_params": "e=f"}},
		{`msg={% if x %}y z{% endif %} n=1`, false, map[string]string{"msg": "{% if x %}y", "n": "1", "_raw_params": "z{% endif %}"}},
		{`msg="{{ a }}"x w=1`, false, map[string]string{"msg": `"{{ a }}"x`, "w": "1"}},
		{`msg="{{ a }}" other=1`, true, map[string]string{"_raw_params": `msg="{{ a }}" other=1`}},
	}
	for _, c := range cases {
		kvs, raw, err := ParseKV(c.in, c.checkRaw)
		if err != nil {
			t.Errorf("ParseKV(%q): %v", c.in, err)
			continue
		}
		got := map[string]string{}
		for _, kv := range kvs {
			got[kv.Key] = kv.Value
		}
		if raw != "" {
			got["_raw_params"] = raw
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseKV(%q, %v)\n got %q\nwant %q", c.in, c.checkRaw, got, c.want)
		}
	}
}

func TestParseKVUnbalanced(t *testing.T) {
	for _, in := range []string{`k="unbalanced`, `msg={{ a`, `x={% if y`} {
		if _, _, err := ParseKV(in, false); err == nil {
			t.Errorf("ParseKV(%q) accepted unbalanced input", in)
		}
	}
}
