package runner

import "testing"

// A collection module may be named as Ansible's playbooks name it, by its
// collection; ansible-core's by ansible.builtin; a wrong collection is an
// unknown module.
func TestCollectionModuleNames(t *testing.T) {
	src := "- hosts: all\n  tasks:\n" +
		"    - community.general.ini_file: {path: /tmp/a.ini, section: s, option: o, value: v}\n" +
		"    - ansible.posix.authorized_key: {user: u, key: ssh-ed25519 AAAA}\n" +
		"    - ansible.builtin.ini_file: {path: /tmp/a.ini, section: s, option: o, value: v}\n"
	pb, err := ParsePlaybook("pb.yml", t.TempDir(), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, task := range pb.Plays[0].Tasks {
		got = append(got, task.Module)
	}
	if len(got) != 3 || got[0] != "ini_file" || got[1] != "authorized_key" || got[2] != "ini_file" {
		t.Errorf("modules %v", got)
	}
	bad := "- hosts: all\n  tasks:\n    - community.general.authorized_key: {user: u, key: ssh-ed25519 AAAA}\n"
	if _, err := ParsePlaybook("pb.yml", t.TempDir(), []byte(bad)); err == nil || !IsValidation(err) {
		t.Errorf("authorized_key is ansible.posix's, not community.general's: %v", err)
	}
}
