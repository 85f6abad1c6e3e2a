package hostcmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/ferry-sh/ferry/modules"
)

// binPathScript is AnsibleModule.get_bin_path's search: PATH, then the sbin
// directories PATH lacks; the first regular executable file named $1. It
// prints the file, or (exit 1) the directories searched, for the message.
const binPathScript = `p=$PATH
for d in /sbin /usr/sbin /usr/local/sbin; do
  case ":$p:" in *":$d:"*) ;; *) [ -e "$d" ] && p="$p:$d" ;; esac
done
IFS=:
for d in $p; do
  [ -n "$d" ] || continue
  f="$d/$1"
  if [ -e "$f" ] && [ ! -d "$f" ] && [ -x "$f" ]; then printf '%s\n' "$f"; exit 0; fi
done
printf '%s\n' "$p"; exit 1`

// BinPath finds name on the host as get_bin_path does: its path, or "" and
// the directories searched.
func BinPath(ctx context.Context, h *modules.Host, name string) (path, searched string, err error) {
	out, err := Query(ctx, h, "sh -c "+Quote(binPathScript)+" sh "+Quote(name))
	if err != nil {
		return "", "", err
	}
	line := strings.TrimSuffix(out.Stdout, "\n")
	if out.RC != 0 {
		return "", line, nil
	}
	return line, "", nil
}

// MissingBin is get_bin_path(name, required=True)'s failure message.
func MissingBin(name, searched string) string {
	return fmt.Sprintf("Failed to find required executable %q in paths: %s", name, searched)
}
