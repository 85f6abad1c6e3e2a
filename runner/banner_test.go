package runner

import (
	"strings"
	"testing"
)

// Header lines count columns as Ansible's get_text_width: a wide character
// takes two. ansible-playbook 2.14 printed 56 stars after this title off a
// terminal, and a combining accent takes none.
func TestBannerCountsColumns(t *testing.T) {
	for title, stars := range map[string]int{
		"TASK [Überprüfung 日本]":       56,
		"TASK [U\u0308berprüfung 日本]": 56, // U and a combining diaeresis
		"TASK [plain]":                67,
	} {
		var b strings.Builder
		bannerWidth(&b, title, 0)
		if got := strings.Count(b.String(), "*"); got != stars {
			t.Errorf("%q: %d stars, want %d", title, got, stars)
		}
	}
}
