package main

import (
	"fmt"
	"runtime/debug"
)

// version and commit are set by `make build` and `make install` (-ldflags
// -X); otherwise they come from what the go command recorded in the binary
// (the module version of `go install ...@v1.2.3`, the VCS commit when
// stamping is on).
var version, commit = "", ""

// versionString is `ferry --version`: ferry's version, the commit it was
// built from (with "+dirty" when the tree had changes) and the Go version.
func versionString() string {
	v, rev, goVersion := version, commit, "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		goVersion = info.GoVersion
		if v == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		var dirty bool
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if rev == "" {
					rev = s.Value
				}
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if dirty {
			rev += "+dirty"
		}
	}
	if rev == "" {
		rev = "unknown"
	}
	if v == "" {
		v = "devel"
	}
	return fmt.Sprintf("ferry %s (commit %s, %s)", v, rev, goVersion)
}
