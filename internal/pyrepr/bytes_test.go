package pyrepr

import "testing"

// Python's repr of bytes, as python3 prints them.
func TestBytes(t *testing.T) {
	for in, want := range map[string]string{
		"got one\r\nNext? ": `b'got one\r\nNext? '`,
		"a'b\"c\\ \x01\xff": `b'a\'b"c\\ \x01\xff'`,
		"it's":              `b"it's"`,
		"é":                 `b'\xc3\xa9'`,
	} {
		if got := Bytes([]byte(in)); got != want {
			t.Errorf("Bytes(%q) = %s, want %s", in, got, want)
		}
	}
}
