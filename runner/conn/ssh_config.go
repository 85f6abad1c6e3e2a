package conn

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kevinburke/ssh_config"

	"github.com/ferry-sh/ferry/modules"
)

// Host key checking modes (var ferry_host_key_checking). Nothing turns
// checking off.
const (
	// HostKeyStrict refuses hosts whose key is not in a known_hosts file.
	HostKeyStrict = "strict"
	// HostKeyAcceptNew records the key of a host seen for the first time, like
	// OpenSSH's StrictHostKeyChecking=accept-new; a changed key is still
	// refused.
	HostKeyAcceptNew = "accept-new"
)

// Defaults for an SSH connection.
const (
	DefaultConnectTimeout = 10 * time.Second
	// DefaultMaxSessions stays under sshd's MaxSessions default of 10,
	// leaving room for the SFTP session and a kill session.
	DefaultMaxSessions = 8
)

// SSHConfig says how to reach and log in to one host. SSHConfigFromVars
// builds it from inventory variables and ~/.ssh/config.
type SSHConfig struct {
	// Name is the inventory name, used in messages.
	Name string
	// Host and Port are the address to connect to.
	Host string
	Port int
	// User is the login user.
	User string
	// KeyFiles are private keys to offer, in order, after the agent's keys.
	KeyFiles []string
	// KeyPassphraseEnv names the environment variable holding the passphrase
	// of encrypted key files.
	KeyPassphraseEnv string
	// Password is the login password (ansible_password).
	Password string
	// KnownHosts are the files a host key is checked against; a new key
	// accepted under HostKeyAcceptNew is recorded in the first.
	KnownHosts []string
	// HostKeyChecking is HostKeyStrict (the default) or HostKeyAcceptNew.
	HostKeyChecking string
	// HashKnownHosts records new hosts hashed (ssh config HashKnownHosts).
	HashKnownHosts bool
	// ProxyJump are the bastions to go through, in dialling order.
	ProxyJump []SSHConfig
	// ConnectTimeout bounds the TCP connect and SSH handshake of each hop.
	ConnectTimeout time.Duration
	// MaxSessions caps the commands running at once on the host.
	MaxSessions int
}

// Endpoint identifies the connection: hosts with the same endpoint share one.
func (c SSHConfig) Endpoint() string {
	e := c.User + "@" + net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
	for i := len(c.ProxyJump) - 1; i >= 0; i-- {
		e += " via " + c.ProxyJump[i].Endpoint()
	}
	return e
}

// ConnectionType returns ansible_connection: "ssh" (the default) or "local".
func ConnectionType(vars map[string]any) (string, error) {
	v, err := stringVar(vars, "ansible_connection")
	if err != nil {
		return "", err
	}
	switch modules.BuiltinName(v) {
	case "", "ssh", "smart", "paramiko":
		return "ssh", nil
	case "local":
		return "local", nil
	}
	return "", fmt.Errorf("ansible_connection: %q is not supported: use ssh or local", v)
}

// SSHConfigFromVars builds the connection settings of inventory host
// inventoryName from its variables and the ssh config file at sshConfigPath
// ("" means ~/.ssh/config; a missing file is fine). As in Ansible, inventory
// variables win over the ssh config, which is looked up by ansible_host when
// it is set, else by the inventory name.
func SSHConfigFromVars(inventoryName string, vars map[string]any, sshConfigPath string) (SSHConfig, error) {
	fail := func(err error) (SSHConfig, error) {
		return SSHConfig{}, fmt.Errorf("host %s: %w", inventoryName, err)
	}
	file, err := loadSSHConfig(sshConfigPath)
	if err != nil {
		return fail(err)
	}
	v := varReader{vars: withAliases(vars)}
	args, err := parseSSHArgs(&v)
	if err != nil {
		return fail(err)
	}
	for name, hint := range unsupportedSSHVars {
		if v.str(name) != "" {
			return fail(fmt.Errorf("%s: %s", name, hint))
		}
	}
	alias := v.str("ansible_host")
	if alias == "" {
		alias = inventoryName
	}
	c, err := file.resolve(alias, v.str("ansible_user"), v.int("ansible_port"))
	if err != nil {
		return fail(err)
	}
	c.Name = inventoryName
	keys := args.keys
	if key := v.str("ansible_private_key_file"); key != "" {
		keys = append([]string{key}, keys...)
	}
	for i := len(keys) - 1; i >= 0; i-- {
		c.KeyFiles = append([]string{expandHome(keys[i])}, c.KeyFiles...)
	}
	c.KeyPassphraseEnv = v.str("ferry_ssh_key_passphrase_env")
	c.Password = v.str("ansible_password")
	inventoryKnown := append(append(v.list("ansible_ssh_known_hosts_file"), v.list("ferry_known_hosts")...), args.knownHosts...)
	for i := range inventoryKnown {
		inventoryKnown[i] = expandHome(inventoryKnown[i])
	}
	c.KnownHosts = append(inventoryKnown, c.KnownHosts...)
	if args.strict != "" {
		c.HostKeyChecking = args.strict // ferry_host_key_checking, below, wins
	}
	if err := c.applyHostKeyChecking(v); err != nil {
		return fail(err)
	}
	if t := v.int("ansible_timeout"); t > 0 {
		c.ConnectTimeout = time.Duration(t) * time.Second
	}
	if n := v.int("ferry_ssh_max_sessions"); n > 0 {
		c.MaxSessions = n
	}
	jump, from := v.str("ferry_proxy_jump"), "ferry_proxy_jump"
	if jump == "" {
		jump, from = args.jump, "ProxyJump in the ssh arguments"
	}
	if jump != "" {
		if c.ProxyJump, err = file.parseJumps(jump); err != nil {
			return fail(fmt.Errorf("%s: %w", from, err))
		}
	}
	for i := range c.ProxyJump {
		c.ProxyJump[i].inheritFrom(c)
	}
	if v.err != nil {
		return fail(v.err)
	}
	return c, nil
}

// applyHostKeyChecking reads ferry_host_key_checking. Ansible's switches
// set to turn checking off are refused rather than ignored.
func (c *SSHConfig) applyHostKeyChecking(v varReader) error {
	if err := hostKeyCheckingVars(&v); err != nil {
		return err
	}
	switch mode := v.str("ferry_host_key_checking"); mode {
	case "":
	case HostKeyStrict, HostKeyAcceptNew:
		c.HostKeyChecking = mode
	default:
		return fmt.Errorf("ferry_host_key_checking: %q is not a mode: use strict or accept-new", mode)
	}
	return nil
}

// inheritFrom gives a bastion the target's checking settings, and its keys as
// a fallback: a bastion usually accepts the same keys. It never gets the
// target's password.
func (c *SSHConfig) inheritFrom(target SSHConfig) {
	c.Name = "bastion " + c.Host
	c.KnownHosts = target.KnownHosts
	c.HostKeyChecking = target.HostKeyChecking
	c.HashKnownHosts = target.HashKnownHosts
	c.KeyPassphraseEnv = target.KeyPassphraseEnv
	c.ConnectTimeout = target.ConnectTimeout
	for _, k := range target.KeyFiles {
		if !contains(c.KeyFiles, k) {
			c.KeyFiles = append(c.KeyFiles, k)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// sshConfigFile is a parsed ssh config, possibly empty.
type sshConfigFile struct {
	path string
	cfg  *ssh_config.Config
}

func loadSSHConfig(path string) (*sshConfigFile, error) {
	if path == "" {
		path = expandHome("~/.ssh/config")
	}
	f := &sshConfigFile{path: path}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ssh config: %w", err)
	}
	if f.cfg, err = ssh_config.DecodeBytes(data); err != nil {
		return nil, fmt.Errorf("ssh config %s: %w", path, err)
	}
	return f, nil
}

func (f *sshConfigFile) get(alias, key string) string {
	if f.cfg == nil {
		return ""
	}
	v, _ := f.cfg.Get(alias, key)
	return v
}

func (f *sshConfigFile) getAll(alias, key string) []string {
	if f.cfg == nil {
		return nil
	}
	v, _ := f.cfg.GetAll(alias, key)
	return v
}

// resolve applies the ssh config for alias; user and port, when set, win.
func (f *sshConfigFile) resolve(alias, user string, port int) (SSHConfig, error) {
	c := SSHConfig{
		Host:            alias,
		Port:            port,
		User:            user,
		HostKeyChecking: HostKeyStrict,
		ConnectTimeout:  DefaultConnectTimeout,
		MaxSessions:     DefaultMaxSessions,
	}
	if h := f.get(alias, "HostName"); h != "" {
		c.Host = expandTokens(h, alias, c)
	}
	if c.Port == 0 {
		p := f.get(alias, "Port")
		if p == "" {
			c.Port = 22
		} else if n, err := strconv.Atoi(p); err != nil || n <= 0 || n > 65535 {
			return c, fmt.Errorf("%s: Host %s: Port %q is not a port number", f.path, alias, p)
		} else {
			c.Port = n
		}
	}
	if c.User == "" {
		c.User = f.get(alias, "User")
	}
	if c.User == "" {
		c.User = localUser()
	}
	for _, k := range f.getAll(alias, "IdentityFile") {
		c.KeyFiles = append(c.KeyFiles, expandHome(expandTokens(k, alias, c)))
	}
	if known := f.get(alias, "UserKnownHostsFile"); known != "" {
		for _, k := range strings.Fields(known) {
			c.KnownHosts = append(c.KnownHosts, expandHome(expandTokens(k, alias, c)))
		}
	} else {
		c.KnownHosts = []string{expandHome("~/.ssh/known_hosts")}
	}
	if _, err := os.Stat("/etc/ssh/ssh_known_hosts"); err == nil {
		c.KnownHosts = append(c.KnownHosts, "/etc/ssh/ssh_known_hosts")
	}
	if strings.EqualFold(f.get(alias, "StrictHostKeyChecking"), "accept-new") {
		c.HostKeyChecking = HostKeyAcceptNew
	}
	c.HashKnownHosts = strings.EqualFold(f.get(alias, "HashKnownHosts"), "yes")
	if t := f.get(alias, "ConnectTimeout"); t != "" {
		if n, err := strconv.Atoi(t); err == nil && n > 0 {
			c.ConnectTimeout = time.Duration(n) * time.Second
		}
	}
	if jump := f.get(alias, "ProxyJump"); jump != "" {
		var err error
		if c.ProxyJump, err = f.parseJumps(jump); err != nil {
			return c, fmt.Errorf("%s: Host %s: ProxyJump: %w", f.path, alias, err)
		}
	}
	return c, nil
}

// parseJumps reads "[user@]host[:port],..." ("none" for no bastion); each
// hop is itself looked up in the ssh config.
func (f *sshConfigFile) parseJumps(spec string) ([]SSHConfig, error) {
	if strings.EqualFold(spec, "none") {
		return nil, nil
	}
	var hops []SSHConfig
	for _, hop := range strings.Split(spec, ",") {
		hop = strings.TrimSpace(hop)
		hop = strings.TrimPrefix(hop, "ssh://")
		user, hostPort := "", hop
		if i := strings.LastIndexByte(hop, '@'); i >= 0 {
			user, hostPort = hop[:i], hop[i+1:]
		}
		host, port, err := splitJumpHost(hostPort)
		if err != nil || host == "" {
			return nil, fmt.Errorf("%q is not [user@]host[:port]", hop)
		}
		c, err := f.resolve(host, user, port)
		if err != nil {
			return nil, err
		}
		// A bastion's own ProxyJump would need recursion that OpenSSH
		// resolves differently; the chain is given explicitly instead.
		c.ProxyJump = nil
		hops = append(hops, c)
	}
	return hops, nil
}

func splitJumpHost(s string) (string, int, error) {
	if !strings.Contains(s, ":") || (strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]")) {
		return strings.Trim(s, "[]"), 0, nil
	}
	host, p, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port <= 0 || port > 65535 {
		return "", 0, fmt.Errorf("bad port %q", p)
	}
	return host, port, nil
}

// expandTokens expands the ssh config tokens ferry knows: %h %p %r %u %%.
func expandTokens(s, alias string, c SSHConfig) string {
	if !strings.Contains(s, "%") {
		return s
	}
	host := c.Host
	if host == "" {
		host = alias
	}
	return strings.NewReplacer("%%", "%", "%h", host, "%n", alias, "%p", strconv.Itoa(c.Port),
		"%r", c.User, "%u", localUser(), "%d", homeDir()).Replace(s)
}

func expandHome(p string) string {
	if p == "~" {
		return homeDir()
	}
	if strings.HasPrefix(p, "~/") {
		return filepath.Join(homeDir(), p[2:])
	}
	return p
}

func homeDir() string {
	if h, err := os.UserHomeDir(); err == nil {
		return h
	}
	return "/"
}

func localUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
}

// varReader reads inventory variables of any YAML scalar type, keeping the
// first type error.
type varReader struct {
	vars map[string]any
	err  error
}

func (v *varReader) str(key string) string {
	s, err := stringVar(v.vars, key)
	if err != nil && v.err == nil {
		v.err = err
	}
	return s
}

func (v *varReader) int(key string) int {
	s := v.str(key)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil && v.err == nil {
		v.err = fmt.Errorf("%s: %q is not a whole number", key, s)
	}
	return n
}

// list reads a string or a list of strings.
func (v *varReader) list(key string) []string {
	if items, ok := v.vars[key].([]any); ok {
		var out []string
		for _, it := range items {
			out = append(out, fmt.Sprint(it))
		}
		return out
	}
	if items, ok := v.vars[key].([]string); ok {
		return append([]string(nil), items...)
	}
	if s := v.str(key); s != "" {
		return []string{s}
	}
	return nil
}

func stringVar(vars map[string]any, key string) (string, error) {
	switch x := vars[key].(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case int, int64, int32, uint, uint64, float64, bool:
		return fmt.Sprint(x), nil
	default:
		return "", fmt.Errorf("%s: want a single value, got %T", key, x)
	}
}
