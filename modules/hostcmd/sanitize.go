package hostcmd

import (
	"regexp"
	"strings"

	"github.com/ferry-sh/ferry/internal/shellquote"
)

// passwordArg is run_command's PASSWD_ARG_RE: an option that names a
// password (--password, -passwd, --password-from-stdin...).
var passwordArg = regexp.MustCompile(`^-{0,2}pass-?(word|wd)?`)

// CleanArgs is AnsibleModule._clean_args, the command line run_command
// reports with a failure: the value after a password option (or after its
// =) is ********, every word log-sanitized, then quoted as shlex.quote.
func CleanArgs(argv []string) string {
	clean := make([]string, 0, len(argv))
	masked := false
	for _, arg := range argv {
		if masked {
			masked = false
			clean = append(clean, "********")
			continue
		}
		if passwordArg.MatchString(arg) {
			if name, _, ok := strings.Cut(arg, "="); ok {
				clean = append(clean, name+"=********")
				continue
			}
			masked = true
		}
		clean = append(clean, LogSanitize(arg))
	}
	for i, w := range clean {
		clean[i] = shellquote.PythonQuote(w)
	}
	return strings.Join(clean, " ")
}

// LogSanitize is AnsibleModule's heuristic_log_sanitize, which run_command
// applies to a failed command's line and message: what looks like a
// password in a URL (user:pass@host, scheme://user@host) becomes ********.
// git.py's and subversion.py's messages show it wherever a repository's
// address has a user.
func LogSanitize(data string) string {
	var output []string
	begin := len(data)
	prevBegin := begin
	for {
		end := strings.LastIndex(data[:begin], "@")
		if end < 0 {
			output = append([]string{data[:begin]}, output...)
			break
		}
		sep := -1
		searchEnd := end
		for sep < 0 {
			begin = strings.LastIndex(data[:searchEnd], "://")
			if begin < 0 {
				begin = 0
			}
			if begin+3 < end {
				if i := strings.Index(data[begin+3:end], ":"); i >= 0 {
					sep = begin + 3 + i
					break
				}
			}
			if begin == 0 {
				return strings.Join(append([]string{data[:prevBegin]}, output...), "")
			}
			searchEnd = begin
		}
		output = append([]string{data[begin : sep+1], "********", data[end:prevBegin]}, output...)
		prevBegin = begin
	}
	return strings.Join(output, "")
}
