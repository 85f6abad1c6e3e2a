// Package files holds modules that look at or make files on the host
// beyond a single file's content: archive, fetch, find, slurp, tempfile, unarchive. They reach the
// host only through the framework's probes and gate (package modules).
package files

import "github.com/ferry-sh/ferry/modules"

func init() {
	modules.Register(archiver{})
	modules.Register(fetch{})
	modules.Register(find{})
	modules.Register(slurp{})
	modules.Register(tempfile{})
	modules.Register(unarchive{})
}
