package conn

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// hostKeyChecker verifies a server's host key against known_hosts files and,
// under HostKeyAcceptNew, records keys of hosts seen for the first time.
type hostKeyChecker struct {
	cfg      SSHConfig
	hostport string // as dialled: the name known_hosts is searched for
	db       ssh.HostKeyCallback
	// err is the precise refusal; x/crypto only passes it on wrapped in a
	// generic handshake error.
	err error
}

func newHostKeyChecker(cfg SSHConfig, known *knownHostsCache) (*hostKeyChecker, error) {
	db, err := known.db(cfg.KnownHosts)
	if err != nil {
		return nil, fmt.Errorf("ssh: reading known_hosts: %w (fix or remove that line)", err)
	}
	return &hostKeyChecker{cfg: cfg, hostport: net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)), db: db}, nil
}

// knownHostsCache holds a pool's parsed known_hosts files, by file list.
// Every host of a run reads the same files: parsing them once per connection
// made a run's cost grow with hosts x lines. A file whose size or mtime
// changed since (an accept-new append) is parsed again.
type knownHostsCache struct {
	mu     sync.Mutex
	parsed map[string]*parsedKnownHosts
}

type parsedKnownHosts struct {
	stamp string // the files' sizes and mtimes when parsed
	once  sync.Once
	db    ssh.HostKeyCallback
	err   error
}

// db returns the host key database of those of files that exist, nil when
// none does.
func (c *knownHostsCache) db(files []string) (ssh.HostKeyCallback, error) {
	var existing []string
	var stamp strings.Builder
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			existing = append(existing, f)
			fmt.Fprintf(&stamp, "%d %d\n", fi.Size(), fi.ModTime().UnixNano())
		}
	}
	if len(existing) == 0 {
		return nil, nil
	}
	key := strings.Join(existing, "\x00")
	c.mu.Lock()
	p := c.parsed[key]
	if p == nil || p.stamp != stamp.String() {
		p = &parsedKnownHosts{stamp: stamp.String()}
		if c.parsed == nil {
			c.parsed = map[string]*parsedKnownHosts{}
		}
		c.parsed[key] = p
	}
	c.mu.Unlock()
	p.once.Do(func() { p.db, p.err = knownhosts.New(existing...) })
	return p.db, p.err
}

// knownKeys lists the keys known_hosts holds for the host, found by asking
// the database about a key no file can hold.
func (h *hostKeyChecker) knownKeys() []knownhosts.KnownKey {
	if h.db == nil || probeKey == nil {
		return nil
	}
	var keyErr *knownhosts.KeyError
	if err := h.db(h.hostport, probeAddr, probeKey); errors.As(err, &keyErr) {
		return keyErr.Want
	}
	return nil
}

// algorithms restricts the host key algorithms to the types known_hosts has
// for the host, as OpenSSH does: otherwise a server with several host keys
// may offer one we have no record of, which would look like a changed key.
func (h *hostKeyChecker) algorithms() []string {
	var algos []string
	for _, k := range h.knownKeys() {
		switch t := k.Key.Type(); t {
		case ssh.KeyAlgoRSA:
			algos = append(algos, ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA)
		default:
			algos = append(algos, t)
		}
	}
	return algos
}

// check is the ssh.HostKeyCallback.
func (h *hostKeyChecker) check(_ string, remote net.Addr, key ssh.PublicKey) error {
	h.err = h.verify(remote, key)
	return h.err
}

func (h *hostKeyChecker) verify(remote net.Addr, key ssh.PublicKey) error {
	if h.db == nil {
		return h.unknown(key)
	}
	err := h.db(h.hostport, remote, key)
	var keyErr *knownhosts.KeyError
	var revoked *knownhosts.RevokedError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &revoked):
		return fmt.Errorf("ssh: the host key of %s (%s) is marked @revoked in %s:%d: refusing to connect",
			h.hostport, ssh.FingerprintSHA256(key), revoked.Revoked.Filename, revoked.Revoked.Line)
	case errors.As(err, &keyErr) && len(keyErr.Want) > 0:
		return h.changed(key, keyErr.Want[0])
	case errors.As(err, &keyErr):
		return h.unknown(key)
	}
	return fmt.Errorf("ssh: checking the host key of %s: %w", h.hostport, err)
}

func (h *hostKeyChecker) changed(offered ssh.PublicKey, known knownhosts.KnownKey) error {
	name := knownhosts.Normalize(h.hostport)
	return fmt.Errorf("ssh: HOST KEY CHANGED for %s: it offered %s %s, but %s:%d holds %s %s for it. "+
		"Someone may be intercepting the connection, or the host was reinstalled. If you are sure the new key is right, "+
		"remove the old one with: ssh-keygen -f %s -R %s",
		name, offered.Type(), ssh.FingerprintSHA256(offered), known.Filename, known.Line,
		known.Key.Type(), ssh.FingerprintSHA256(known.Key), ShellQuote(known.Filename), ShellQuote(name))
}

func (h *hostKeyChecker) unknown(key ssh.PublicKey) error {
	if h.cfg.HostKeyChecking == HostKeyAcceptNew {
		return h.record(key)
	}
	files := strings.Join(h.cfg.KnownHosts, ", ")
	if files == "" {
		files = "(no known_hosts file configured)"
	}
	target := "~/.ssh/known_hosts"
	if len(h.cfg.KnownHosts) > 0 {
		target = h.cfg.KnownHosts[0]
	}
	return fmt.Errorf("ssh: unknown host %s: its key is not in %s; it offered %s %s. "+
		"Check that fingerprint with the host's owner, then add it (ssh-keyscan -p %d %s >> %s), "+
		"or set ferry_host_key_checking: accept-new to record hosts seen for the first time",
		knownhosts.Normalize(h.hostport), files, key.Type(), ssh.FingerprintSHA256(key),
		h.cfg.Port, ShellQuote(h.cfg.Host), ShellQuote(target))
}

// knownHostsMu serialises appends to known_hosts files within the process.
var knownHostsMu sync.Mutex

// record appends the key to the first known_hosts file, as OpenSSH's
// accept-new does: "[host]:port" for ports other than 22, hashed when
// HashKnownHosts is set.
func (h *hostKeyChecker) record(key ssh.PublicKey) error {
	if len(h.cfg.KnownHosts) == 0 {
		return fmt.Errorf("ssh: cannot record the key of %s: no known_hosts file configured", h.hostport)
	}
	file := h.cfg.KnownHosts[0]
	name := knownhosts.Normalize(h.hostport)
	if h.cfg.HashKnownHosts {
		name = knownhosts.HashHostname(name)
	}
	knownHostsMu.Lock()
	defer knownHostsMu.Unlock()
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return fmt.Errorf("ssh: recording the key of %s: %w", h.hostport, err)
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("ssh: recording the key of %s: %w", h.hostport, err)
	}
	_, err = f.WriteString(knownhosts.Line([]string{name}, key) + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("ssh: recording the key of %s in %s: %w", h.hostport, file, err)
	}
	return nil
}

// probeKey is a key no known_hosts file holds (an all-zero ed25519 key);
// probeAddr a placeholder remote address for the lookup.
var (
	probeKey, _ = ssh.NewPublicKey(ed25519.PublicKey(make([]byte, ed25519.PublicKeySize)))
	probeAddr   = &net.TCPAddr{IP: net.IPv4(0, 0, 0, 0), Port: 0}
)
