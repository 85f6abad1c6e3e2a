package pyrepr

import (
	"math/big"
	"testing"

	"github.com/ferry-sh/ferry/internal/keyorder"
)

// The expected texts are what /usr/bin/python3 prints for the same values.
func TestReprAsPython(t *testing.T) {
	dict := keyorder.NewBuilder(2)
	dict.Put("z", []any{1, 2})
	dict.Put("a", nil)
	v := []any{"a", "it's", `q"'`, "x\ny\t\x01", 1.0, 1e16, 1e-05, 0.1, nil, true, dict.Map(), new(big.Int).Lsh(big.NewInt(1), 70)}
	want := `['a', "it's", 'q"\'', 'x\ny\t\x01', 1.0, 1e+16, 1e-05, 0.1, None, True, {'z': [1, 2], 'a': None}, 1180591620717411303424]`
	if got := Repr(v); got != want {
		t.Errorf("Repr:\n got %s\nwant %s", got, want)
	}
	for in, want := range map[any]string{"x'": "x'", 1e16: "1e+16", false: "False", nil: "None", Raw("Undefined"): "Undefined"} {
		if got := Str(in); got != want {
			t.Errorf("Str(%#v) = %q, want %q", in, got, want)
		}
	}
}

func TestPlainAndDepth(t *testing.T) {
	type celsius float32
	p := Printer{MaxDepth: 1, Plain: func(v any) any {
		if c, ok := v.(celsius); ok {
			return float64(c)
		}
		return v
	}}
	if got := p.Repr([]any{celsius(1.5), []any{[]any{1}}}); got != "[1.5, [...]]" {
		t.Errorf("got %s", got)
	}
}
