package conn

import (
	"errors"
	"io"
	"regexp"
	"strings"
	"sync"

	"github.com/ferry-sh/ferry/transport"
)

// ErrIncorrectSuPassword is the failure of su refusing the become
// password, in the words of Ansible's connection plugins.
var ErrIncorrectSuPassword = errors.New("Incorrect su password")

// suPrompts are su's password prompt in the languages of ansible-core
// 2.14's su become plugin (SU_PROMPT_LOCALIZATIONS).
var suPrompts = []string{"Password", "암호", "パスワード", "Adgangskode", "Contraseña", "Contrasenya", "Hasło",
	"Heslo", "Jelszó", "Lösenord", "Mật khẩu", "Mot de passe", "Parola", "Parool", "Pasahitza", "Passord",
	"Passwort", "Salasana", "Sandi", "Senha", "Wachtwoord", "ססמה", "Лозинка", "Парола", "Пароль", "गुप्तशब्द",
	"शब्दकूट", "సంకేతపదము", "හස්පදය", "密码", "密碼", "口令"}

// suPromptStart is the plugin's check_password_prompt: a prompt, maybe
// "user's " before it, then a colon (or a fullwidth one), at the start of
// the output. suPrompt is the same for the whole of a line su has not
// ended yet, which is how su writes its prompt.
var suPromptStart, suPrompt = func() (*regexp.Regexp, *regexp.Regexp) {
	quoted := make([]string, len(suPrompts))
	for i, p := range suPrompts {
		quoted[i] = regexp.QuoteMeta(p)
	}
	re := `(?i)^(\w+'s )?(` + strings.Join(quoted, "|") + `) ?(:|：) ?`
	return regexp.MustCompile(re), regexp.MustCompile(re + "$")
}()

// suFailure is su's word for a refused password (the plugin's fail).
const suFailure = "Authentication failure"

// suInput is the input of su when a become password is set. su reads the
// password from its input only when it asks for it (never when root logs
// in), so the password goes only after su's prompt, and the command's own
// input only once the command runs: the password can never reach the
// command, and su cannot read the command's input.
type suInput struct {
	password        string
	rest            io.Reader // the command's input, or nil
	asked, started  chan struct{}
	askOnce, goOnce sync.Once
}

func newSuInput(password string, rest io.Reader) *suInput {
	return &suInput{password: password, rest: rest, asked: make(chan struct{}), started: make(chan struct{})}
}

// ask records su's prompt; start records the command's start.
func (in *suInput) ask()   { in.askOnce.Do(func() { close(in.asked) }) }
func (in *suInput) start() { in.goOnce.Do(func() { close(in.started) }) }

// feed writes su's input to w as su and the command ask for it, until
// ended closes (the session is over), then closes w.
func (in *suInput) feed(w io.WriteCloser, ended <-chan struct{}) {
	defer w.Close()
	select {
	case <-in.asked:
	case <-in.started:
	case <-ended:
		return
	}
	select {
	case <-in.asked: // su asked (before the command started, when both are seen)
		if _, err := io.WriteString(w, in.password+"\n"); err != nil {
			return
		}
		select {
		case <-in.started:
		case <-ended:
			return
		}
	default:
	}
	if in.rest != nil {
		_, _ = io.Copy(w, in.rest)
	}
}

// upFront is su's input when its prompt cannot be watched for (the local
// connection, the stop script): the password first unless root runs su,
// which asks for none.
func (in *suInput) upFront(root bool) io.Reader {
	if root {
		return in.rest
	}
	return passwordThen(in.password, in.rest)
}

// suResult turns su's refusal of the password (its failure message, the
// command never started) into ErrIncorrectSuPassword.
func suResult(out transport.Output, started bool) (transport.Output, error) {
	if !started && out.RC != 0 && strings.Contains(out.Stderr, suFailure) {
		return transport.Output{}, ErrIncorrectSuPassword
	}
	return out, nil
}

// trimSuPrompt takes su's prompt off the start of stderr, where su writes
// it without a line end.
func trimSuPrompt(stderr string) string {
	if loc := suPromptStart.FindStringIndex(stderr); loc != nil {
		return stderr[loc[1]:]
	}
	return stderr
}

// Read makes suInput the stdin commandLine returns; a connection feeds
// it as su asks (feed) or up front (upFront), never by reading it as it
// is, which would hand the password to whatever reads first.
func (in *suInput) Read([]byte) (int, error) {
	return 0, errors.New("su's input is fed as su asks for it, not read as it is")
}
