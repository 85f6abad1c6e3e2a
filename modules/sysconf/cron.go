package sysconf

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

func init() { modules.Register(cron{}) }

// cron is Ansible's cron module: named jobs ("#Ansible: NAME" above the job
// line) and variables in a user's crontab (crontab -l / crontab -) or in a
// file under /etc/cron.d (written through the safe write).
type cron struct{}

type cronOptions struct {
	Name         string  `opt:"name,required" doc:"The job's name (the #Ansible: comment above it), or the variable's with env."`
	User         string  `opt:"user" doc:"Whose crontab (default: the become user's); with cron_file, the user the job runs as."`
	Job          *string `opt:"job" aliases:"value" doc:"The command, or the variable's value with env."`
	CronFile     string  `opt:"cron_file" doc:"A file under /etc/cron.d (or an absolute path) instead of a crontab; needs user."`
	State        string  `opt:"state" default:"present" choices:"present,absent" doc:"present or absent."`
	Backup       bool    `opt:"backup" default:"false" doc:"Keep the crontab as it was in a file on the host (backup_file)."`
	Minute       string  `opt:"minute" default:"*" doc:"The job's minute field."`
	Hour         string  `opt:"hour" default:"*" doc:"The job's hour field."`
	Day          string  `opt:"day" default:"*" aliases:"dom" doc:"The job's day field."`
	Month        string  `opt:"month" default:"*" doc:"The job's month field."`
	Weekday      string  `opt:"weekday" default:"*" aliases:"dow" doc:"The job's weekday field."`
	SpecialTime  string  `opt:"special_time" choices:"reboot,yearly,annually,monthly,weekly,daily,hourly" doc:"@reboot, @daily... instead of the time fields."`
	Disabled     bool    `opt:"disabled" default:"false" doc:"Write the job commented out."`
	Env          bool    `opt:"env" default:"false" doc:"Manage a variable (NAME=\"job\") instead of a job."`
	InsertAfter  *string `opt:"insertafter" doc:"With env: put a new variable after this one."`
	InsertBefore *string `opt:"insertbefore" doc:"With env: put a new variable before this one."`
}

func (cron) Spec() modules.Spec {
	return modules.Spec{
		Name:      "cron",
		Returns:   []string{"jobs", "envs", "cron_file", "changed"}, // the order of Ansible's result
		Summary:   "Manage named cron jobs and variables in a crontab or a /etc/cron.d file",
		Args:      modules.OptionsOf[cronOptions](),
		Exclusive: [][]string{{"insertafter", "insertbefore"}},
		Check:     modules.CheckSupported,
	}
}

const ansibleMark = "#Ansible: "

// crontab is the lines of one crontab or cron file.
type crontab struct {
	lines    []string
	existing string // as read, for the trailing newline check and --diff
	file     string // the cron file, or "" for a user's crontab
	user     string
}

func (cron) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[cronOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	c := &crontab{user: o.User}
	if f := o.CronFile; f != "" {
		if f == "/etc/crontab" {
			return failedResult("Will not manage /etc/crontab via cron_file, see documentation."), nil
		}
		c.file = f
		if !path.IsAbs(f) {
			c.file = path.Join("/etc/cron.d", f)
		}
	}
	if msg := cronArgsInvalid(o, c); msg != "" {
		return failedResult(msg), nil
	}
	if err := c.read(ctx, h); err != nil {
		return modules.Result{}, err
	}
	before := c.existing
	changed, msg := c.apply(o)
	if msg != "" {
		return failedResult(msg), nil
	}
	if c.file != "" && o.State == "absent" && changed && c.empty() {
		return c.removeFile(ctx, h, o)
	}
	if !changed && c.existing != "" && !strings.HasSuffix(c.existing, "\n") && !strings.HasSuffix(c.existing, "\r") {
		changed = true
	}
	data := map[string]any{"jobs": c.jobNames(), "envs": c.envNames()} // no warnings: AnsibleModule drops an empty list
	if o.CronFile != "" {
		data["cron_file"] = o.CronFile
	}
	res := modules.Result{Data: data}
	if !changed {
		return res, nil
	}
	if o.Backup {
		if err := c.backup(ctx, h, before, data); err != nil {
			return modules.Result{}, err
		}
	}
	res.Diffs = []modules.Diff{{Path: c.header(), Before: before, After: c.render()}}
	return res, c.write(ctx, h)
}

func cronArgsInvalid(o cronOptions, c *crontab) string {
	if o.SpecialTime != "" {
		for _, f := range []string{o.Minute, o.Hour, o.Day, o.Month, o.Weekday} {
			if f != "*" {
				return "You must specify time and date fields or special time."
			}
		}
	}
	if o.State != "present" {
		return ""
	}
	switch {
	case c.file != "" && c.user == "":
		return "To use cron_file=... parameter you must specify user=... as well"
	case o.Job == nil:
		return "You must specify 'job' to install a new cron job or variable"
	case (o.InsertAfter != nil || o.InsertBefore != nil) && !o.Env:
		return "Insertafter and insertbefore parameters are valid only with env=yes"
	}
	return ""
}

// crontabCmd is crontab with -u when the crontab is another user's than
// the one the command runs as.
func (c *crontab) crontabCmd(op string) string {
	if c.user == "" {
		return "crontab " + op
	}
	u := hostcmd.Quote(c.user)
	return fmt.Sprintf(`if [ "$(id -un)" = %[1]s ]; then crontab %[2]s; else crontab -u %[1]s %[2]s; fi`, u, op)
}

var crontabHeader = []*regexp.Regexp{regexp.MustCompile(`^# DO NOT EDIT THIS FILE - edit the master and reinstall\.`),
	regexp.MustCompile(`^# \(/tmp/.*installed on.*\)`), regexp.MustCompile(`^# \(.*version.*\)`)}

func (c *crontab) read(ctx context.Context, h *modules.Host) error {
	if c.file != "" {
		info, err := modules.StatPath(ctx, h, c.file, true)
		if err != nil || !info.Exists {
			return err
		}
		data, err := modules.ReadFile(ctx, h, c.file, 1<<20)
		c.existing = string(data)
		c.lines = splitLines(c.existing)
		return err
	}
	out, err := hostcmd.Query(ctx, h, c.crontabCmd("-l"))
	if err != nil {
		return err
	}
	if out.RC != 0 && out.RC != 1 { // 1: no crontab yet
		return fmt.Errorf("Unable to read crontab: %s", strings.TrimSpace(out.Stderr))
	}
	c.existing = out.Stdout
	for i, l := range splitLines(out.Stdout) {
		if i <= 2 && (crontabHeader[0].MatchString(l) || crontabHeader[1].MatchString(l) || crontabHeader[2].MatchString(l)) {
			c.existing = strings.Replace(c.existing, l+"\n", "", 1)
			continue
		}
		c.lines = append(c.lines, l)
	}
	return nil
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), "\n"), "\n")
}

// apply changes the lines as the task asks and says whether they changed.
func (c *crontab) apply(o cronOptions) (bool, string) {
	name, install := o.Name, o.State == "present"
	if o.Env {
		return c.applyEnv(o, name, install)
	}
	if !install {
		if c.findJob(name, "") == nil {
			return false, ""
		}
		c.replaceJob(name, "")
		return true, ""
	}
	job := c.jobLine(o)
	old := c.findJob(name, job)
	switch {
	case old == nil:
		c.lines = append(c.lines, ansibleMark+name, job)
		return true, ""
	case old[1] != job || len(old) > 2:
		c.replaceJob(name, job)
		return true, ""
	}
	return false, ""
}

func (c *crontab) applyEnv(o cronOptions, name string, install bool) (bool, string) {
	if strings.Contains(name, " ") {
		return false, "Invalid name for environment variable"
	}
	decl := name + `="` + deref(o.Job) + `"`
	i := c.findEnv(name)
	switch {
	case !install && i < 0:
		return false, ""
	case !install:
		c.lines = append(c.lines[:i:i], c.lines[i+1:]...)
		return true, ""
	case i >= 0 && c.lines[i] == decl:
		return false, ""
	case i >= 0:
		c.lines[i] = decl
		return true, ""
	}
	other, after := deref(o.InsertBefore), false
	if o.InsertAfter != nil {
		other, after = *o.InsertAfter, true
	}
	if other == "" {
		c.lines = append([]string{decl}, c.lines...)
		return true, ""
	}
	j := c.findEnv(other)
	if j < 0 {
		return false, fmt.Sprintf("Variable named '%s' not found.", other)
	}
	if after {
		j++
	}
	c.lines = append(c.lines[:j], append([]string{decl}, c.lines[j:]...)...)
	return true, ""
}

func (c *crontab) jobLine(o cronOptions) string {
	prefix := ""
	if o.Disabled {
		prefix = "#"
	}
	job := strings.Trim(deref(o.Job), "\r\n")
	user := ""
	if c.file != "" {
		user = c.user + " "
	}
	if s := o.SpecialTime; s != "" {
		return prefix + "@" + s + " " + user + job
	}
	return prefix + strings.Join([]string{o.Minute, o.Hour, o.Day, o.Month, o.Weekday}, " ") + " " + user + job
}

// findJob is Ansible's find_job: the named job's [comment, line]; or, when
// job's exact line is there without a name, it names it (a third element
// says the lines changed).
func (c *crontab) findJob(name, job string) []string {
	comment := ""
	seen := false
	for _, l := range c.lines {
		if seen {
			if comment == name {
				return []string{comment, l}
			}
			seen = false
		} else if strings.HasPrefix(l, ansibleMark) {
			comment, seen = strings.TrimPrefix(l, ansibleMark), true
		}
	}
	if job == "" {
		return nil
	}
	for i, l := range c.lines {
		if l != job {
			continue
		}
		if i == 0 || !strings.HasPrefix(c.lines[i-1], ansibleMark) {
			c.lines = append(c.lines[:i], append([]string{ansibleMark + name}, c.lines[i:]...)...)
			return []string{c.lines[i], l, "inserted"}
		}
		if c.lines[i-1] == ansibleMark+"None" {
			c.lines[i-1] = ansibleMark + name
			return []string{c.lines[i-1], l, "renamed"}
		}
	}
	return nil
}

// replaceJob replaces the line after every "#Ansible: name" by job, or
// drops both when job is "".
func (c *crontab) replaceJob(name, job string) {
	var out []string
	pending := false
	for _, l := range c.lines {
		switch {
		case pending:
			if job != "" {
				out = append(out, ansibleMark+name, job)
			}
			pending = false
		case l == ansibleMark+name:
			pending = true
		default:
			out = append(out, l)
		}
	}
	c.lines = out
}

func (c *crontab) findEnv(name string) int {
	for i, l := range c.lines {
		if strings.HasPrefix(l, name+"=") {
			return i
		}
	}
	return -1
}

func (c *crontab) jobNames() []any {
	names := []any{}
	for _, l := range c.lines {
		if strings.HasPrefix(l, ansibleMark) {
			names = append(names, strings.TrimPrefix(l, ansibleMark))
		}
	}
	return names
}

var envLine = regexp.MustCompile(`^\S+=`)

func (c *crontab) envNames() []any {
	names := []any{}
	for _, l := range c.lines {
		if envLine.MatchString(l) {
			names = append(names, strings.SplitN(l, "=", 2)[0])
		}
	}
	return names
}

func (c *crontab) empty() bool {
	for _, l := range c.lines {
		if strings.TrimSpace(l) != "" {
			return false
		}
	}
	return true
}

func (c *crontab) render() string {
	s := strings.Join(c.lines, "\n")
	if s != "" {
		s = strings.TrimRight(s, "\r\n") + "\n"
	}
	return s
}

func (c *crontab) header() string {
	switch {
	case c.file != "":
		return c.file
	case c.user != "":
		return `crontab for user "` + c.user + `"`
	}
	return "crontab"
}

func (c *crontab) write(ctx context.Context, h *modules.Host) error {
	if c.file != "" {
		_, _, err := modules.WriteContent(ctx, h, modules.ContentWrite{Path: c.file, Content: []byte(c.render()), Options: modules.FileEditOptions{FileAttrs: modules.FileAttrs{Mode: "0644"}}})
		return err
	}
	out, err := hostcmd.ChangeWithInput(ctx, h, "install "+c.header(), c.crontabCmd("-"), c.render())
	if err == nil && out.RC != 0 {
		err = fmt.Errorf("%s", strings.TrimSpace(out.Stderr))
	}
	return err
}

// removeFile removes a cron file left with no job, as Ansible does.
func (c *crontab) removeFile(ctx context.Context, h *modules.Host, o cronOptions) (modules.Result, error) {
	line := "rm -f -- " + hostcmd.Quote(c.file)
	if _, err := hostcmd.Change(ctx, h, "remove "+c.file, line); err != nil {
		return modules.Result{}, err
	}
	return modules.Result{Data: map[string]any{"cron_file": o.CronFile, "state": "absent"},
		Diffs: []modules.Diff{{Path: c.file, Before: c.existing, After: ""}}}, nil
}

// backup keeps the crontab as it was in a private file on the host.
func (c *crontab) backup(ctx context.Context, h *modules.Host, before string, data map[string]any) error {
	out, err := hostcmd.ChangeWithInput(ctx, h, "back up "+c.header(), `f=$(mktemp "${TMPDIR:-/tmp}/crontabXXXXXXXX") && cat > "$f" && echo "$f"`, before)
	if err == nil && out.RC != 0 {
		err = fmt.Errorf("backing up %s: %s", c.header(), strings.TrimSpace(out.Stderr))
	}
	if f := strings.TrimSpace(out.Stdout); f != "" {
		data["backup_file"] = f
	}
	return err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
