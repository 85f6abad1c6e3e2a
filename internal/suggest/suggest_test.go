package suggest

import "testing"

func TestClosest(t *testing.T) {
	cands := []string{"content", "dest", "src", "mode", "owner"}
	for word, want := range map[string]string{
		"contnet": "content",
		"desr":    "dest",
		"mdoe":    "mode",
		"zzzzzzz": "",
		"content": "content",
	} {
		if got := Closest(word, cands); got != want {
			t.Errorf("Closest(%q) = %q, want %q", word, got, want)
		}
	}
	if h := Hint("contnet", cands); h != "did you mean `content`?" {
		t.Errorf("Hint = %q", h)
	}
}
