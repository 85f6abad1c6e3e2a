// Package transport is the contract between ferry's modules and the
// connections that reach a host: a Conn runs commands and reads files, and the
// plain values it takes and returns. It is a leaf, so that the SSH layer
// (runner/conn) and the modules share these types without the SSH layer
// depending on the modules (and, through them, on the Kubernetes and Keycloak
// clients).
package transport

import (
	"context"
	"io"
	"io/fs"
	"net"
	"time"
)

// Conn is how a module reaches its host: the local machine or an SSH server.
// runner/conn implements it.
type Conn interface {
	// Run executes a command. A non-zero exit status is Output.RC, not an
	// error; an error means the command could not be run or was stopped
	// (transport failure, context cancelled). When ctx ends, the remote
	// command's whole process group is ended, not only our wait.
	Run(ctx context.Context, cmd Command) (Output, error)
	// Stat describes path on the host; a missing path is FileInfo{} with
	// Exists false and a nil error.
	Stat(ctx context.Context, path string) (FileInfo, error)
	// Open reads a file on the host as a stream.
	Open(ctx context.Context, path string) (io.ReadCloser, error)
	// Close ends the connection.
	Close() error
}

// Command is one process to run on the host.
type Command struct {
	// Argv runs a program directly. Exactly one of Argv and Shell is set.
	Argv []string
	// Shell is a script for /bin/sh -c.
	Shell string
	// Stdin feeds the process; nil means empty.
	Stdin io.Reader
	// Env adds environment variables.
	Env map[string]string
	// Dir is the working directory.
	Dir string
	// Become runs the command through sudo; nil runs it as the login user.
	Become *Become
	// Stdout and Stderr, when set, also receive the output as it arrives.
	Stdout, Stderr io.Writer
}

// Output is what a finished command left.
type Output struct {
	RC     int
	Stdout string
	Stderr string
}

// FileInfo describes a path on the host.
type FileInfo struct {
	Exists  bool
	IsDir   bool
	Size    int64
	Mode    fs.FileMode
	ModTime time.Time
}

// Dialer is an optional capability of a Conn: opening a TCP connection from
// the host's side of the link (through SSH for a remote host). wait_for uses
// it to probe ports as the host sees them; the Kubernetes and Keycloak
// modules use it to reach services that only the host can reach.
type Dialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// Become is privilege escalation for commands run on the host.
type Become struct {
	User     string // default root
	Password string // secret; empty means passwordless sudo (-n)
	Method   string // sudo (the default) or su
	Exe      string // the program to run; "" is the method's own
	// Flags replace the method's default flags (sudo's -H; su's none) when
	// not nil; a password's own flags are added still (sudo's -S).
	Flags []string
}
