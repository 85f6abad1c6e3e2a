package assemble

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/ferry-sh/ferry/internal/anylist"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

// validate runs validate on the new content before it replaces dest, as
// assemble.py (and, for the controller's fragments, the copy module) does:
// only when the content differs from dest's, on a private temporary copy
// on the host. assemble never runs under --check, so the copy is made with
// the Writer outside any change (Act): a refused content changes nothing.
// It returns the module's validation result, or its failure.
func (o assembleOptions) validate(ctx context.Context, h *modules.Host, content []byte) (map[string]any, *modules.Result, error) {
	if o.Validate == "" {
		return nil, nil, nil
	}
	if same, err := sameContent(ctx, h, o.Dest, content); same || err != nil {
		return nil, nil, err
	}
	var out modules.Output
	err := h.Act(func(w modules.Writer) error {
		tmp, err := modules.WriteScript(ctx, w, `umask 077; t=$(mktemp) && printf '%s' "$t"`)
		if err != nil {
			return err
		}
		defer modules.WriteScript(ctx, w, hostcmd.Quote("rm", "-f", "--", tmp))
		put, err := w.Run(ctx, modules.Command{Argv: []string{"sh", "-c", `cat > "$1"`, "sh", tmp}, Stdin: bytes.NewReader(content), Become: h.Become})
		if err == nil && put.RC != 0 {
			err = fmt.Errorf("writing %s to validate it: %s", tmp, strings.TrimSpace(put.Stderr))
		}
		if err != nil {
			return err
		}
		out, err = modules.RunValidate(ctx, w, string(o.Validate), tmp)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if out.RC == 0 {
		if !o.RemoteSrc {
			return nil, nil, nil // the copy module registers no validation
		}
		return modules.Ordered(map[string]any{"rc": out.RC, "stdout": out.Stdout, "stderr": out.Stderr}, "rc", "stdout", "stderr"), nil, nil
	}
	if !o.RemoteSrc {
		res := failed("failed to validate")
		res.Data = map[string]any{"exit_status": out.RC, "stdout": out.Stdout, "stderr": out.Stderr,
			"stdout_lines": anylist.Lines(out.Stdout), "stderr_lines": anylist.Lines(out.Stderr)} // the action's split
		return nil, &res, nil
	}
	res := failed(fmt.Sprintf("failed to validate: rc:%d error:%s", out.RC, out.Stderr))
	return nil, &res, nil
}

// sameContent tells whether dest (followed) is a file with content.
func sameContent(ctx context.Context, h *modules.Host, dest string, content []byte) (bool, error) {
	info, err := modules.StatPath(ctx, h, dest, true)
	if err != nil || info.Type != "file" || info.Size != int64(len(content)) {
		return false, err
	}
	sum, err := modules.HostSHA256(ctx, h, dest)
	want := sha256.Sum256(content)
	return sum == hex.EncodeToString(want[:]), err
}
