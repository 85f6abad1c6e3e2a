package git

import "strings"

// logSanitize is AnsibleModule's heuristic_log_sanitize, which run_command
// applies to a failed command's line and message: what looks like a
// password in a URL (user:pass@host, scheme://user@host) becomes ********.
// git.py's messages show it wherever a repository's address has a user.
func logSanitize(data string) string {
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
