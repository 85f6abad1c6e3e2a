package expect_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/rootfs"
)

// expectSetup installs the test's interactive programs in a root: ask
// prompts for a name and a password and writes them to the file it is
// given; thrice asks the same question three times.
const expectSetup = `mkdir -p /srv/expect
cat > /usr/local/bin/ask <<'EOS'
#!/bin/sh
printf 'Name: '; read -r name
printf 'Password: '; read -r word
echo "hello $name"
printf '%s:%s\n' "$name" "$word" > "$1"
EOS
cat > /usr/local/bin/thrice <<'EOS'
#!/bin/sh
for i in 1 2 3; do printf 'Next? '; read -r a; echo "got $a"; done
EOS
chmod 755 /usr/local/bin/ask /usr/local/bin/thrice`

// TestExpectAgainstAnsible runs testdata/expect.yml with --check, then
// twice for real, through ferry and ansible-playbook (pexpect) on a root
// each: recaps, every registered field but the times, and the files the
// answers went into must agree after each round.
func TestExpectAgainstAnsible(t *testing.T) {
	ours, theirs := rootfs.Start(t), rootfs.Start(t)
	ours.Run(expectSetup)
	theirs.Run(expectSetup)
	playbook, _ := filepath.Abs("testdata/expect.yml")
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t),
		Skip: []string{"start", "end", "delta"},
		State: ansiblecmp.StateOf(ours, theirs, func(h *rootfs.Host) string {
			return h.Run("cd /srv/expect && for f in *; do [ -e \"$f\" ] && echo \"== $f\" && cat \"$f\"; done; true")
		})}.Run(t)
}

// An answer whose prompt names a password is masked in ferry's output,
// even echoed into stdout (Ansible shows it there unless no_log), but
// reaches the program and the registered result as it is.
func TestExpectMasksPasswordAnswers(t *testing.T) {
	h := rootfs.Start(t)
	h.Run(expectSetup)
	playbook, _ := filepath.Abs("testdata/secret.yml")
	out := ansiblecmp.Ferry(t, ansiblecmp.Run{Playbook: playbook, Inventory: h.Inventory(t)})
	if out.Exit != 0 || out.Stats["target"].Changed != 2 {
		t.Fatalf("exit %d, %+v:\n%s", out.Exit, out.Stats, out.Output)
	}
	if strings.Contains(out.Output, "hunter2-secret") {
		t.Errorf("the password is in ferry's output:\n%s", out.Output)
	}
	if got := h.Run("cat /srv/expect/echoed; cat /srv/expect/registered"); got != "bob:hunter2-secret\nName: bob\r\nPassword: hunter2-secret\r\nhello bob" {
		t.Errorf("the program or the registered stdout did not get the answers:\n%q", got)
	}
}
