package conn

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// su's prompt is recognised in the su plugin's languages, with a user's
// name before it and a fullwidth colon, and nothing else is taken for it.
func TestSuPrompt(t *testing.T) {
	for _, p := range []string{"Password: ", "password:", "Mot de passe : ", "Пароль: ", "root's Password:", "密码：", "Passwort:"} {
		if !suPrompt.MatchString(p) {
			t.Errorf("%q is not taken for su's prompt", p)
		}
	}
	for _, p := range []string{"Passwords: ", "Enter Password: ", "Password: x", "su: Authentication failure"} {
		if suPrompt.MatchString(p) {
			t.Errorf("%q is taken for su's prompt", p)
		}
	}
}

// The stderr filter takes su's prompt out, and the input gives su the
// password only after it, then the command's own input only once the
// wrapper's marker shows the command runs.
func TestSuInputFollowsThePrompt(t *testing.T) {
	var stderr bytes.Buffer
	f := newPgidFilter("mark", &stderr)
	in := newSuInput("pw", strings.NewReader("data"))
	f.su = in
	r, w := io.Pipe()
	ended := make(chan struct{})
	go in.feed(w, ended)
	got := make(chan string)
	go func() { b, _ := io.ReadAll(r); got <- string(b) }()
	f.Write([]byte("Pass"))
	f.Write([]byte("word: "))
	f.Write([]byte("mark 42\nto-stderr\n"))
	if s := <-got; s != "pw\ndata" {
		t.Errorf("su's input is %q, want the password, then the command's", s)
	}
	if stderr.String() != "to-stderr\n" {
		t.Errorf("stderr is %q", stderr.String())
	}
	close(ended)
}

// When su asks for nothing (root logs in), the password is not sent at all.
func TestSuInputWithoutPrompt(t *testing.T) {
	f := newPgidFilter("mark", io.Discard)
	in := newSuInput("pw", strings.NewReader("data"))
	f.su = in
	r, w := io.Pipe()
	go in.feed(w, make(chan struct{}))
	got := make(chan string)
	go func() { b, _ := io.ReadAll(r); got <- string(b) }()
	f.Write([]byte("mark 42\n"))
	if s := <-got; s != "data" {
		t.Errorf("the command's input is %q, want its own only", s)
	}
}
