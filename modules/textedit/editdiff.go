package textedit

import (
	"github.com/ferry-sh/ferry/internal/keyorder"
	"github.com/ferry-sh/ferry/modules"
)

// editDiff is the diff lineinfile.py and blockinfile.py register with or
// without --diff: the content's before and after (the text only under
// --diff), then the file attributes' entry (the mode the task changes);
// under --check, a file that does not exist yet has the content's alone.
func editDiff(h *modules.Host, f textFile, after string, attrs modules.FileAttrs) any {
	content := map[string]any{"before": "", "after": "", "before_header": f.path + " (content)", "after_header": f.path + " (content)"}
	keyorder.Set(content, []string{"before", "after", "before_header", "after_header"})
	if h.Diff {
		content["before"], content["after"] = f.content, after
	}
	if h.Check && !f.info.Exists {
		return content
	}
	attr := map[string]any{}
	order := []string{"before_header", "after_header"}
	if want, err := attrs.WantMode(f.info); err == nil && f.info.Exists && want != f.info.Mode {
		attr["before"] = map[string]any{"mode": modules.FormatMode(f.info.Mode)}
		attr["after"] = map[string]any{"mode": modules.FormatMode(want)}
		order = append([]string{"before", "after"}, order...)
	}
	attr["before_header"], attr["after_header"] = f.path+" (file attributes)", f.path+" (file attributes)"
	keyorder.Set(attr, order)
	return []any{content, attr}
}
