package modules

import (
	"fmt"
	"strings"
	"text/tabwriter"
)

// docWidth is where argument descriptions wrap in `ferry doc MODULE`.
const docWidth = 60

// Doc renders a module's documentation, as `ferry doc MODULE` prints it:
// summary, check-mode behaviour, argument rules and a table of arguments.
func Doc(spec Spec) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s - %s\n\n", spec.Name, spec.Summary)
	fmt.Fprintf(&b, "Check mode: %s\n", checkModeText(spec))
	if spec.Controller {
		b.WriteString("Runs on the controller (in ferry itself); never touches the host.\n")
	}
	if spec.FreeForm != "" {
		fmt.Fprintf(&b, "Free form: `%s: TEXT` sets %s.\n", spec.Name, spec.FreeForm)
	}
	if spec.Dynamic {
		b.WriteString("Takes any argument name: each `name: value` becomes a host variable.\n")
	}
	for _, g := range spec.OneOf {
		fmt.Fprintf(&b, "Exactly one of: %s.\n", strings.Join(g, ", "))
	}
	for _, g := range spec.Exclusive {
		fmt.Fprintf(&b, "At most one of: %s.\n", strings.Join(g, ", "))
	}
	if len(spec.Args) > 0 {
		b.WriteString("\n")
		writeArgTable(&b, spec.Args)
	}
	return b.String()
}

func checkModeText(spec Spec) string {
	switch spec.Check {
	case CheckSkip:
		return "not supported: the task is skipped unless it sets check_mode: false."
	case CheckIfDecided:
		return "cannot predict its effect, so the task is skipped unless " + strings.Join(spec.Deciders, "/") + " decide it or the task sets check_mode: false."
	default:
		if spec.Controller {
			return "supported; it changes nothing on any host."
		}
		return "supported; what would change is reported as a plan and nothing on the host changes."
	}
}

func writeArgTable(b *strings.Builder, args []Arg) {
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ARGUMENT\tTYPE\tREQUIRED\tDEFAULT\tCHOICES\tALIASES\tSECRET\tDESCRIPTION")
	writeArgRows(tw, "", args)
	_ = tw.Flush()
}

// writeArgRows writes one row an argument, then its nested options under
// its name (app_manager.url; hosts[].name for a list of mappings).
func writeArgRows(tw *tabwriter.Writer, prefix string, args []Arg) {
	for _, a := range args {
		doc := wrap(a.Doc, docWidth)
		if len(doc) == 0 {
			doc = []string{""}
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", prefix, a.Name, a.Type, yesOrEmpty(a.Required), defaultText(a.Default),
			strings.Join(a.Choices, ", "), strings.Join(a.Aliases, ", "), yesOrEmpty(a.Secret), doc[0])
		for _, line := range doc[1:] {
			fmt.Fprintf(tw, "\t\t\t\t\t\t\t%s\n", line)
		}
		if len(a.Fields) > 0 {
			inner := prefix + a.Name + "."
			if a.Type == List {
				inner = prefix + a.Name + "[]."
			}
			writeArgRows(tw, inner, a.Fields)
		}
	}
}

func yesOrEmpty(b bool) string {
	if b {
		return "yes"
	}
	return ""
}

func defaultText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return fmt.Sprintf("%q", x)
	}
	return fmt.Sprint(v)
}

// wrap breaks text into lines of at most width characters at spaces.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		if line != "" && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// Index lists every module with its summary, as `ferry doc` prints it.
func Index() string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, name := range Names() {
		m, _ := Lookup(name)
		fmt.Fprintf(tw, "%s\t%s\n", name, m.Spec().Summary)
	}
	_ = tw.Flush()
	return b.String()
}
