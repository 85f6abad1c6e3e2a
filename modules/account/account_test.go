package account_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/rootfs"
)

// accounts is what the root's databases say of the test accounts.
func accounts(h *rootfs.Host) string {
	return h.Run(`for u in alice bob carol ferrysvc dave; do getent passwd $u || echo "no $u"; s=$(getent shadow $u | cut -d: -f1-2,8); echo "${s:-no shadow $u}"; id -Gn $u 2>/dev/null; done
for g in ferryops ferrysys ferrygone; do getent group $g || echo "no $g"; done
ls -d /home/* 2>/dev/null; true`)
}

// TestUserGroupAgainstAnsible runs testdata/account.yml with --check, then
// twice for real, with ferry and with ansible-playbook on a fresh root each:
// recaps, the accounts on disk and every registered field must agree.
func TestUserGroupAgainstAnsible(t *testing.T) {
	ours, theirs := rootfs.Start(t), rootfs.Start(t)
	playbook, _ := filepath.Abs("testdata/account.yml")
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t),
		State: ansiblecmp.StateOf(ours, theirs, accounts)}.Run(t)
	if got := accounts(ours); !strings.Contains(got, "alice:!$6$saltsalt$") || !strings.Contains(got, "alice:x:2001:2001:A. Ferry:/home/alice:/bin/sh") {
		t.Errorf("alice is not as the playbook made her:\n%s", got)
	}
}

// TestUserPasswordNeverShown: the hash is masked in every event of the run,
// the result registers Ansible's placeholder, and the host has it.
func TestUserPasswordNeverShown(t *testing.T) {
	h := rootfs.Start(t)
	const hash = "$6$pepper$Tvb/2qsYzAn4Zr8rC0TmtBJaY1YnhXTMk13/0wW62k.1axr5SB/S6fSQ9D/RFrvRLiTDb9DzqJiEJF66AbqUu0"
	playbook := filepath.Join(t.TempDir(), "pw.yml")
	src := "- hosts: targets\n  gather_facts: false\n  tasks:\n    - name: pw\n      user: {name: dora, password: '" + hash + "'}\n"
	if err := os.WriteFile(playbook, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	f := ansiblecmp.Ferry(t, ansiblecmp.Run{Playbook: playbook, Inventory: h.Inventory(t), Diff: true})
	if f.Exit != 0 {
		t.Fatalf("exit %d\n%s", f.Exit, f.Output)
	}
	if strings.Contains(f.Output, "pepper") {
		t.Errorf("the password hash reached the output:\n%s", f.Output)
	}
	if got := f.Result(t, "pw", "target")["password"]; got != "NOT_LOGGING_PASSWORD" {
		t.Errorf("registered password %v, want Ansible's NOT_LOGGING_PASSWORD", got)
	}
	if !strings.Contains(h.Run("getent shadow dora"), hash) {
		t.Error("the host does not have the hash")
	}
}

// keyFiles is what the authorized_key comparison leaves in keyuser's home:
// every file with its mode, owner and content, and where the links lead.
func keyFiles(h *rootfs.Host) string {
	return h.Run(`cd /home/keyuser && find . -mindepth 1 | sort | while read -r f; do
  if [ -L "$f" ]; then echo "$f -> $(readlink "$f")"; else echo "$f $(stat -c '%a %U:%G' "$f")"; fi
  if [ -f "$f" ] && [ ! -L "$f" ]; then cat -A "$f"; fi
done`)
}

// TestAuthorizedKeyAgainstAnsible runs testdata/authorized_key.yml with
// --check and --diff, then twice for real, with ferry and with
// ansible-playbook (ansible.posix 1.5.4: live where it is installed, else
// as recorded) on a fresh root each: recaps, every registered field and
// the files in the user's home must agree.
func TestAuthorizedKeyAgainstAnsible(t *testing.T) {
	ours, theirs := rootfs.Start(t), rootfs.Start(t)
	for _, h := range []*rootfs.Host{ours, theirs} {
		h.Run(`useradd -m -s /bin/sh keyuser && cd /home/keyuser &&
printf '# kept comment\nnot a key line\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOld0000000000000000000000000000000000000000 old@example\n' > other_keys &&
printf 'real\n' > target_keys && ln -s target_keys followed && ln -s target_keys replaced && chown -h keyuser: other_keys target_keys followed replaced`)
	}
	playbook, _ := filepath.Abs("testdata/authorized_key.yml")
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t), Diff: true,
		Collections: []string{"ansible.posix"}, State: ansiblecmp.StateOf(ours, theirs, keyFiles)}.Run(t)
	if got := keyFiles(ours); !strings.Contains(got, `no-pty,from="10.0.0.0/8,192.168.0.0/16" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOne`) {
		t.Errorf("the key with options is not in the file:\n%s", got)
	}
}

// sshKeys is what the user SSH key comparison leaves: each key file with its
// mode and owner, whether the passphrase opens the protected key, and the
// public keys' types and comments.
func sshKeys(h *rootfs.Host) string {
	return h.Run(`for f in /home/kuser/.ssh /home/kuser/.ssh/* /etc/nuser_key*; do [ -e "$f" ] && stat -c '%n %a %U:%G' "$f"; done
ssh-keygen -y -P 's3cret phrase' -f /home/kuser/.ssh/id_work >/dev/null 2>&1 && echo passphrase opens id_work
ssh-keygen -y -P '' -f /home/kuser/.ssh/id_work >/dev/null 2>&1 && echo id_work opens without passphrase
for f in /home/kuser/.ssh/*.pub /etc/nuser_key.pub; do [ -e "$f" ] && awk '{print $1, $3, $4}' "$f"; done; true`)
}

// TestUserSSHKeyAgainstAnsible runs testdata/userkey.yml with --check, then
// twice for real, with ferry and with ansible-playbook on a fresh root
// each: recaps, registered fields (the keys themselves are random: their
// shape is compared), key files and the passphrase must agree.
func TestUserSSHKeyAgainstAnsible(t *testing.T) {
	ours, theirs := rootfs.Start(t), rootfs.Start(t)
	for _, h := range []*rootfs.Host{ours, theirs} {
		h.Run("useradd -m -s /bin/sh kuser")
	}
	playbook, _ := filepath.Abs("testdata/userkey.yml")
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t),
		Skip:  []string{"ssh_fingerprint", "ssh_public_key", "_ansible_verbose_always"},
		State: ansiblecmp.StateOf(ours, theirs, sshKeys)}.Run(t)
	if got := sshKeys(ours); !strings.Contains(got, "passphrase opens id_work") || strings.Contains(got, "without passphrase") {
		t.Errorf("the passphrase does not protect the key:\n%s", got)
	}
}

// TestUserSSHKeyPassphraseNeverShown: the passphrase is in no event of the
// run, at any verbosity the JSON output carries.
func TestUserSSHKeyPassphraseNeverShown(t *testing.T) {
	h := rootfs.Start(t)
	playbook := filepath.Join(t.TempDir(), "key.yml")
	src := "- hosts: targets\n  gather_facts: false\n  tasks:\n    - name: key\n      user: {name: dora, generate_ssh_key: true, ssh_key_type: ed25519, ssh_key_passphrase: pepper-phrase}\n"
	if err := os.WriteFile(playbook, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	f := ansiblecmp.Ferry(t, ansiblecmp.Run{Playbook: playbook, Inventory: h.Inventory(t), Diff: true})
	if f.Exit != 0 {
		t.Fatalf("exit %d\n%s", f.Exit, f.Output)
	}
	if strings.Contains(f.Output, "pepper") {
		t.Errorf("the passphrase reached the output:\n%s", f.Output)
	}
	if !strings.Contains(h.Run("ssh-keygen -y -P pepper-phrase -f /home/dora/.ssh/id_ed25519 && echo opened"), "opened") {
		t.Error("the key does not open with the passphrase")
	}
}
