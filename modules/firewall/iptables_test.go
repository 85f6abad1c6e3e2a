package firewall_test

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/rootfs"
	"github.com/ferry-sh/ferry/modules"
)

// iptablesSetup is what both roots start with: a rule the playbook
// removes, a chain it deletes, a rule its flush removes.
const iptablesSetup = `iptables -A OUTPUT -p icmp -j DROP
iptables -N old-chain
iptables -t raw -A PREROUTING -p udp --dport 53 -j NOTRACK`

// savedRules are the rules iptables-save and ip6tables-save print, without
// their dated comments.
var savedComment = regexp.MustCompile(`(?m)^#.*\n`)

// TestIptablesAgainstAnsible runs testdata/iptables.yml with --check, then
// twice for real, through ferry and ansible-playbook on a root each (their
// own network namespaces): recaps, every registered field and the rules
// (iptables-save, ip6tables-save) must agree after each round.
func TestIptablesAgainstAnsible(t *testing.T) {
	t.Parallel()
	ours, theirs := rootfs.Start(t), rootfs.Start(t)
	ours.Run(iptablesSetup)
	theirs.Run(iptablesSetup)
	playbook, _ := filepath.Abs("testdata/iptables.yml")
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t),
		State: ansiblecmp.StateOf(ours, theirs, func(h *rootfs.Host) string {
			return savedComment.ReplaceAllString(h.Run("iptables-save; ip6tables-save"), "")
		})}.Run(t)
}

// Arguments iptables.py refuses when it runs are refused before the run,
// each naming what to give instead.
func TestIptablesRefusesBadArgumentsBeforeTheRun(t *testing.T) {
	m, ok := modules.Lookup("iptables")
	if !ok {
		t.Fatal("iptables is not registered")
	}
	for _, c := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"protocol": "tcp"}, "Either chain or flush parameter must be specified."},
		{map[string]any{"chain": "PREROUTING", "table": "mangle", "jump": "TEE"}, "missing: gateway"},
		{map[string]any{"chain": "INPUT", "jump": "DROP", "log_prefix": "x"}, "only be used with the LOG jump target"},
		{map[string]any{"chain": "INPUT", "flush": true, "policy": "DROP"}, "flush"},
		{map[string]any{"chain": "INPUT", "match_set": "s", "match_set_flags": "both"}, "src,dst"},
	} {
		_, err := m.Spec().Bind(c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want an error with %q", c.args, err, c.want)
		}
	}
	if _, err := m.Spec().Bind(map[string]any{"table": "nat", "flush": true}); err != nil {
		t.Errorf("a flush needs no chain: %v", err)
	}
}
