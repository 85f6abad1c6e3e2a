package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// The floor client is the least a tool of ferry's design can do for the
// workload: one x/crypto/ssh connection per host, opened in parallel, one
// session per command, every host finishing a task before any starts the
// next (Ansible's linear strategy). It runs as a child process (`ferry-bench
// floor ...`) so that its CPU time and peak RSS are measured like ferry's and
// Ansible's.

type floorArgs struct {
	user, key, knownHosts, command string
	hosts                          []string // addr:port
	tasks                          int
}

func floorMain(argv []string) error {
	var a floorArgs
	var hosts string
	fs := flag.NewFlagSet("ferry-bench floor", flag.ContinueOnError)
	fs.StringVar(&a.user, "user", "", "login user")
	fs.StringVar(&a.key, "key", "", "unencrypted private key file")
	fs.StringVar(&a.knownHosts, "known-hosts", "", "known_hosts file")
	fs.StringVar(&hosts, "hosts", "", "comma-separated addr:port list")
	fs.IntVar(&a.tasks, "tasks", 1, "commands to run on every host")
	fs.StringVar(&a.command, "command", "true", "the command of every task")
	if err := fs.Parse(argv); err != nil {
		return err
	}
	if hosts == "" || a.key == "" || a.knownHosts == "" || a.user == "" {
		return errors.New("floor needs -user, -key, -known-hosts and -hosts")
	}
	a.hosts = strings.Split(hosts, ",")
	return runFloor(a)
}

func runFloor(a floorArgs) error {
	cfg, err := floorConfig(a)
	if err != nil {
		return err
	}
	clients := make([]*ssh.Client, len(a.hosts))
	err = eachHost(len(a.hosts), func(i int) (err error) {
		clients[i], err = ssh.Dial("tcp", a.hosts[i], cfg)
		return err
	})
	defer func() {
		for _, c := range clients {
			if c != nil {
				c.Close()
			}
		}
	}()
	if err != nil {
		return err
	}
	for t := 0; t < a.tasks; t++ {
		err := eachHost(len(clients), func(i int) error {
			s, err := clients[i].NewSession()
			if err != nil {
				return err
			}
			defer s.Close()
			return s.Run(a.command)
		})
		if err != nil {
			return fmt.Errorf("task %d: %w", t+1, err)
		}
	}
	return nil
}

func floorConfig(a floorArgs) (*ssh.ClientConfig, error) {
	pem, err := os.ReadFile(a.key)
	if err != nil {
		return nil, err
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.key, err)
	}
	check, err := knownhosts.New(a.knownHosts)
	if err != nil {
		return nil, err
	}
	return &ssh.ClientConfig{User: a.user, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeyCallback: check}, nil
}

// eachHost runs f for every host index at once and waits for all of them.
func eachHost(n int, f func(i int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f(i)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
