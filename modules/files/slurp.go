package files

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/ferry-sh/ferry/modules"
)

// slurp returns a file of the host, base64-encoded, as Ansible's.
type slurp struct{}

// maxSlurp bounds what slurp holds in memory (and registers).
const maxSlurp = 64 << 20

type slurpOptions struct {
	Src string "opt:\"src,required\" aliases:\"path\" doc:\"The file to read (up to 64 MiB); `content | b64decode` gives its text.\""
}

func (slurp) Spec() modules.Spec {
	return modules.Spec{
		Name:    "slurp",
		Returns: []string{"content", "source", "encoding"}, // the order of Ansible's result
		Summary: "Read a file of the host, base64-encoded in content (read-only)",
		Args:    modules.OptionsOf[slurpOptions](),
		Check:   modules.CheckSupported,
	}
}

func (slurp) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[slurpOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	src := o.Src
	info, err := modules.StatPath(ctx, h, src, true)
	if err != nil {
		return modules.Result{}, err
	}
	fail := func(msg string) (modules.Result, error) {
		return modules.Result{Failed: true, Msg: msg, Data: map[string]any{"msg": msg}}, nil
	}
	switch {
	case !info.Exists:
		return fail("file not found: " + src)
	case info.Type == "directory":
		return fail("source is a directory and must be a file: " + src)
	case info.Size > maxSlurp:
		return fail(fmt.Sprintf("unable to slurp file: %s has %d bytes; ferry's slurp reads up to %d MiB (use fetch for larger files)", src, info.Size, maxSlurp>>20))
	}
	b, err := modules.ReadFile(ctx, h, src, maxSlurp)
	if err != nil {
		if strings.Contains(err.Error(), "ermission denied") {
			return fail("file is not readable: " + src)
		}
		return fail("unable to slurp file: " + err.Error())
	}
	return modules.Result{Data: map[string]any{"content": base64.StdEncoding.EncodeToString(b), "source": src, "encoding": "base64"}}, nil
}
