// Package all links every module into the binary. A module package registers
// itself from init (modules.Register), so it runs only if something imports
// it; this is that one place. cmd/ferry imports it, and so do the tests that
// run playbooks. The runner does not: it knows the framework (package
// modules), never a module's implementation.
//
// A new module package adds its blank import here, one line, sorted.
package all

import (
	_ "github.com/ferry-sh/ferry/modules/account"
	_ "github.com/ferry-sh/ferry/modules/aptrepo"
	_ "github.com/ferry-sh/ferry/modules/argspec"
	_ "github.com/ferry-sh/ferry/modules/assemble"
	_ "github.com/ferry-sh/ferry/modules/command"
	_ "github.com/ferry-sh/ferry/modules/control"
	_ "github.com/ferry-sh/ferry/modules/debconf"
	_ "github.com/ferry-sh/ferry/modules/dyninv"
	_ "github.com/ferry-sh/ferry/modules/expect"
	_ "github.com/ferry-sh/ferry/modules/files"
	_ "github.com/ferry-sh/ferry/modules/filestate"
	_ "github.com/ferry-sh/ferry/modules/firewall"
	_ "github.com/ferry-sh/ferry/modules/getent"
	_ "github.com/ferry-sh/ferry/modules/git"
	_ "github.com/ferry-sh/ferry/modules/keycloak"
	_ "github.com/ferry-sh/ferry/modules/knownhosts"
	_ "github.com/ferry-sh/ferry/modules/kots"
	_ "github.com/ferry-sh/ferry/modules/kurl"
	_ "github.com/ferry-sh/ferry/modules/limits"
	_ "github.com/ferry-sh/ferry/modules/pip"
	_ "github.com/ferry-sh/ferry/modules/pkgfacts"
	_ "github.com/ferry-sh/ferry/modules/pkgmgr"
	_ "github.com/ferry-sh/ferry/modules/probe"
	_ "github.com/ferry-sh/ferry/modules/remote"
	_ "github.com/ferry-sh/ferry/modules/rpmkey"
	_ "github.com/ferry-sh/ferry/modules/service"
	_ "github.com/ferry-sh/ferry/modules/subversion"
	_ "github.com/ferry-sh/ferry/modules/sysconf"
	_ "github.com/ferry-sh/ferry/modules/textedit"
	_ "github.com/ferry-sh/ferry/modules/tls"
	_ "github.com/ferry-sh/ferry/modules/web"
	_ "github.com/ferry-sh/ferry/modules/yumrepo"
)
