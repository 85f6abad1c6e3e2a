package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// cell is one workload: hosts x trivial command tasks.
type cell struct{ hosts, tasks int }

func (c cell) String() string { return fmt.Sprintf("%dx%d", c.hosts, c.tasks) }

func parseCells(spec string) ([]cell, error) {
	var out []cell
	for _, part := range strings.Split(spec, ",") {
		h, t, ok := strings.Cut(strings.TrimSpace(part), "x")
		hosts, err1 := strconv.Atoi(h)
		tasks, err2 := strconv.Atoi(t)
		if !ok || err1 != nil || err2 != nil || hosts < 1 || tasks < 1 {
			return nil, fmt.Errorf("BENCH_CELLS: %q is not HOSTSxTASKS (e.g. 10x20)", part)
		}
		out = append(out, cell{hosts, tasks})
	}
	return out, nil
}

// inventory writes the INI inventory of the first n test hosts, the same
// file for ferry and Ansible. Each tool reads the known_hosts variable it
// knows: ferry ansible_ssh_known_hosts_file, Ansible's ssh client
// UserKnownHostsFile; both check host keys strictly.
func (b *bench) inventory(n int) string {
	path := filepath.Join(b.work, fmt.Sprintf("hosts-%d.ini", n))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	var s strings.Builder
	s.WriteString("[bench]\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&s, "h%03d ansible_host=%s\n", i, b.srv.Addrs[i])
	}
	fmt.Fprintf(&s, `[bench:vars]
ansible_port=%d
ansible_user=%s
ansible_ssh_private_key_file=%s
ansible_ssh_known_hosts_file=%s
ansible_ssh_common_args='-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes'
ansible_python_interpreter=/usr/bin/python3
`, b.srv.Port, b.srv.User, b.srv.ClientKey, b.srv.KnownHosts, b.srv.KnownHosts)
	b.write(path, s.String())
	return path
}

// playbook writes a play of n trivial command tasks without fact gathering.
func (b *bench) playbook(n int) string {
	path := filepath.Join(b.work, fmt.Sprintf("tasks-%d.yml", n))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	var s strings.Builder
	s.WriteString("- name: bench\n  hosts: bench\n  gather_facts: false\n  tasks:\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&s, "    - name: task %d\n      command: \"true\"\n", i)
	}
	b.write(path, s.String())
	return path
}

func (b *bench) write(path, content string) {
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		b.h.Fatalf("%v", err)
	}
}

// ferryCmd runs the real CLI with forks = hosts.
func (b *bench) ferryCmd(c cell) command {
	return command{argv: []string{b.ferry, "run", b.playbook(c.tasks), "-i", b.inventory(c.hosts), "-f", strconv.Itoa(c.hosts)}}
}

// floorCommand is what the floor client sends for `command: "true"`: the
// program true, as every tool's command module runs it. A bare "true" would
// be bash's builtin, which forks and execs nothing on the host.
const floorCommand = "exec true"

// floorCmd runs this program's floor client as a child process.
func (b *bench) floorCmd(c cell) command {
	hosts := make([]string, c.hosts)
	for i := range hosts {
		hosts[i] = b.srv.Endpoint(i)
	}
	return command{argv: []string{b.self, "floor", "-command", floorCommand, "-user", b.srv.User, "-key", b.srv.ClientKey,
		"-known-hosts", b.srv.KnownHosts, "-tasks", strconv.Itoa(c.tasks), "-hosts", strings.Join(hosts, ",")}}
}

// ansibleCmd runs ansible-playbook with pipelining and forks = hosts, its
// default ssh arguments (ControlMaster/ControlPersist) and a control socket
// directory of its own, so that no run reuses another's connections.
func (b *bench) ansibleCmd(c cell, controlDir string) command {
	return command{
		argv: []string{"ansible-playbook", b.playbook(c.tasks), "-i", b.inventory(c.hosts), "-f", strconv.Itoa(c.hosts)},
		env: []string{
			"ANSIBLE_PIPELINING=True",
			"ANSIBLE_SSH_CONTROL_PATH_DIR=" + controlDir,
			"ANSIBLE_LOCAL_TEMP=" + filepath.Join(b.work, "ansible-tmp"),
			"ANSIBLE_NOCOLOR=1",
		},
	}
}

// stopControlMasters ends the ssh ControlPersist masters an Ansible run left
// behind, through their own sockets, so that they do not serve the next run.
func stopControlMasters(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		sock := filepath.Join(dir, e.Name())
		_ = exec.Command("ssh", "-o", "ControlPath="+sock, "-O", "exit", "bench").Run()
	}
	_ = os.RemoveAll(dir)
}
