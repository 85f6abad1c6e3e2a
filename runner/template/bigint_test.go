package template

import "testing"

// TestBigIntegers: integer arithmetic never wraps around. Each want is
// Python's repr of what Jinja2 returned for the same expression.
func TestBigIntegers(t *testing.T) {
	e := New(Options{})
	for _, c := range []struct{ src, want string }{
		{"2 ** 70", "1180591620717411303424"},
		{"2 ** 64 - 1", "18446744073709551615"},
		{"(2 ** 70) // 3", "393530540239137101141"},
		{"-(2 ** 70) % 7", "5"},
		{"(2 ** 70) % -7", "-5"},
		{"2 ** 70 / 2 ** 69", "2.0"},
		{"9223372036854775807 + 1", "9223372036854775808"},
		{"-9223372036854775807 - 2", "-9223372036854775809"},
		{"3037000500 * 3037000500", "9223372037000250000"},
		{"10 ** 20 - 10 ** 20", "0"},
		{"2 ** 70 == 2 ** 70 + 1", "False"},
		{"2 ** 70 > 5", "True"},
		{"2 ** -1", "0.5"},
		{"(2 ** 70) * 0.5", "5.902958103587057e+20"},
		{"(2 ** 70) | string", "'1180591620717411303424'"},
		{"[2 ** 70] | to_json", "'[1180591620717411303424]'"},
		{"'%s' % (2 ** 70)", "'1180591620717411303424'"},
		{"(2 ** 70) ~ ''", "'1180591620717411303424'"},
		{"-(2 ** 70)", "-1180591620717411303424"},
		{"(2 ** 70) // (2 ** 68)", "4"},
	} {
		got, err := e.Eval(c.src, nil)
		if err != nil {
			t.Errorf("Eval(%q): %v", c.src, err)
			continue
		}
		if pyRepr(got) != c.want {
			t.Errorf("Eval(%q) = %s, want %s", c.src, pyRepr(got), c.want)
		}
	}
	if _, err := e.Eval("2 ** 1000000", nil); err == nil {
		t.Error("2 ** 1000000: no error; a result this large must be refused, not built")
	}
}
