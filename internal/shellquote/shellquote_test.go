package shellquote

import (
	"errors"
	"reflect"
	"testing"
)

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{"abc": "abc", "a b": "'a b'", "it's": `'it'\''s'`, "": "''", "/x/y.z": "/x/y.z", "$HOME": "'$HOME'"} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  error
	}{
		{"echo hello", []string{"echo", "hello"}, nil},
		{"  spaced\t out \n ", []string{"spaced", "out"}, nil},
		{`echo 'a b' "c d"`, []string{"echo", "a b", "c d"}, nil},
		{`echo 'it'\''s'`, []string{"echo", "it's"}, nil},
		{`echo "say \"hi\" \$HOME \a"`, []string{"echo", `say "hi" \$HOME \a`}, nil},
		{"\"a\\\nb\"", []string{"a\\\nb"}, nil},
		{`a#b #c`, []string{"a#b", "#c"}, nil},
		{`a\ b c\\d`, []string{"a b", `c\d`}, nil},
		{`x''y ""`, []string{"xy", ""}, nil},
		{`echo $HOME *`, []string{"echo", "$HOME", "*"}, nil},
		{"line\\\ncontinued", []string{"line\ncontinued"}, nil},
		{`'single \ stays'`, []string{`single \ stays`}, nil},
		{"", nil, nil},
		{`echo 'open`, nil, ErrUnclosedQuote},
		{`echo "open`, nil, ErrUnclosedQuote},
		{`echo \`, nil, ErrTrailingBackslash},
	}
	for _, tt := range tests {
		got, err := Split(tt.in)
		if !errors.Is(err, tt.err) || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Split(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

// Join then Split gives back the words, whatever they hold.
func TestJoinSplitRoundTrip(t *testing.T) {
	words := []string{"plain", "two words", "it's", `back\slash`, `"dq"`, "", "$x", "tab\there", "new\nline"}
	got, err := Split(Join(words))
	if err != nil || !reflect.DeepEqual(got, words) {
		t.Errorf("round trip = %q, %v", got, err)
	}
}
