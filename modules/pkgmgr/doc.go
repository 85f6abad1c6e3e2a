// Package pkgmgr holds the package manager modules: apt, dnf and yum (dnf
// under yum's name), and package, which dispatches to the host's package
// manager as Ansible's does.
package pkgmgr

import (
	"context"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

// aptEnv makes apt and dpkg answer in a language we parse and never ask.
const aptEnv = "DEBIAN_FRONTEND=noninteractive DEBIAN_PRIORITY=critical LC_ALL=C LANG=C "

// The host is reached only through hostcmd's probe and gated change.
func query(ctx context.Context, h *modules.Host, script string) (modules.Output, error) {
	return hostcmd.Query(ctx, h, script)
}

func change(ctx context.Context, h *modules.Host, what, script string) (modules.Output, error) {
	return hostcmd.Change(ctx, h, what, script)
}

func quote(words []string) string { return hostcmd.Quote(words...) }
