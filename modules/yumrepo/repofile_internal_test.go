package yumrepo

import (
	"strings"
	"testing"
)

// A file RawConfigParser refuses (Ansible's module then fails with its
// traceback) is refused with the file's line and what to do; a file it
// reads is written back as RawConfigParser.write writes it.
func TestParseRepoFile(t *testing.T) {
	for text, want := range map[string]string{
		"baseurl = x\n":                    "r.repo:1: \"baseurl = x\" is neither a [section]",
		"[a]\nname = A\n[a]\n":             "r.repo:3: section \"a\" is there twice",
		"[a]\nname = A\nName: again\n":     "r.repo:3: option \"name\" is in section [a] twice",
		"[a]\nnot an option line\n":        "r.repo:2: \"not an option line\" is neither",
		"[a]\n# x\n  = value\n":            "r.repo:3:",
		"[DEFAULT]\nx=1\n[DEFAULT]\ny=2\n": "section \"DEFAULT\" is there twice",
	} {
		if _, err := parseRepoFile("r.repo", text); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %s", text, err, want)
		}
	}
	f, err := parseRepoFile("r.repo", "[b]\nBaseURL=http://a/\n  http://b/\n\n\thttp://c/\n# c\nname:B\n[DEFAULT]\nk = v\n")
	if err != nil {
		t.Fatal(err)
	}
	const written = "[DEFAULT]\nk = v\n\n[b]\nbaseurl = http://a/\n\thttp://b/\n\t\n\thttp://c/\nname = B\n\n"
	if got := f.text(); got != written {
		t.Errorf("written as %q, want %q", got, written)
	}
	const dumped = "[b]\nbaseurl = http://a/\nhttp://b/\n\nhttp://c/\nk = v\nname = B\n\n"
	if got := f.dump(); got != dumped {
		t.Errorf("dumped as %q, want %q", got, dumped)
	}
}
