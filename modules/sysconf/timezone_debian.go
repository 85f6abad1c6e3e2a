package sysconf

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

// debianTZ is the collection's NosystemdTimezone where dpkg-reconfigure
// is: the zone's name in /etc/timezone and the /etc/localtime link, the
// hardware clock's mode in /etc/default/rcS (UTC=yes|no) and /etc/adjtime.
type debianTZ struct {
	h     *modules.Host
	tools tzTools
	log   []string
}

const (
	tzNameFile = "/etc/timezone"
	tzRcSFile  = "/etc/default/rcS"
	adjtime    = "/etc/adjtime"
	localtime  = "/etc/localtime"
)

var (
	tzNameLine = regexp.MustCompile(`(?m)^(\S+)`)
	tzUTCLine  = regexp.MustCompile(`(?m)^UTC\s*=\s*(\S+)`)
	adjtimeUTC = regexp.MustCompile(`(?m)^(UTC|LOCAL)$`)
	zoneLink   = regexp.MustCompile(`/(?:usr/share|etc)/zoneinfo/(.*)`)
)

// readConfig is a file's text; ok is false when it does not exist.
func (s *debianTZ) readConfig(ctx context.Context, path string) (text string, ok bool, err error) {
	info, err := modules.StatPath(ctx, s.h, path, true)
	if err != nil || !info.Exists {
		return "", false, err
	}
	data, err := modules.ReadFile(ctx, s.h, path, 1<<20)
	return string(data), err == nil, err
}

// configValue is the collection's _get_value_from_config.
func (s *debianTZ) configValue(ctx context.Context, key string, after bool) (string, error) {
	path, re, missing := map[string]string{"name": tzNameFile, "hwclock": tzRcSFile, "adjtime": adjtime}[key],
		map[string]*regexp.Regexp{"name": tzNameLine, "hwclock": tzUTCLine, "adjtime": adjtimeUTC}[key],
		map[string]string{"name": "n/a", "hwclock": "n/a", "adjtime": "UTC"}[key]
	text, ok, err := s.readConfig(ctx, path)
	if err != nil || !ok {
		return missing, err
	}
	m := re.FindStringSubmatch(text)
	switch {
	case m == nil && key == "name" && after:
		return "", tzAbort(s, fmt.Sprintf("tried to configure %s using a file %q, but could not find a valid value in it", key, path))
	case m == nil:
		return missing, nil
	case key == "hwclock" && isTrue(m[1]):
		return "UTC", nil
	case key == "hwclock":
		return "local", nil
	case key == "adjtime" && m[1] != "UTC":
		return strings.ToLower(m[1]), nil
	}
	return m[1], nil
}

func (s *debianTZ) get(ctx context.Context, key, planned string, after bool) (string, error) {
	value, err := s.configValue(ctx, key, after)
	if err != nil || value != planned {
		return value, err
	}
	if key == "hwclock" {
		return s.configValue(ctx, "adjtime", after)
	}
	return s.linkedZone(ctx, planned)
}

// linkedZone is the zone /etc/localtime is, when the files name the planned
// one: the zone its link points to, or "n/a" when it is neither a link into
// zoneinfo nor a copy of the planned zone's file.
func (s *debianTZ) linkedZone(ctx context.Context, planned string) (string, error) {
	out, err := hostcmd.Query(ctx, s.h, "if [ -L "+localtime+" ]; then [ -e "+localtime+" ] && echo link && readlink "+localtime+" || echo dangling; "+
		"elif cmp -s "+localtime+" "+hostcmd.Quote(zoneFile(planned))+"; then echo same; else echo differs; fi")
	if err != nil {
		return "", err
	}
	kind, target, _ := strings.Cut(strings.TrimRight(out.Stdout, "\n"), "\n")
	switch kind {
	case "link":
		m := zoneLink.FindStringSubmatch(target)
		if m == nil {
			return "n/a", nil
		}
		return m[1], nil
	case "same":
		return planned, nil
	}
	return "n/a", nil
}

func (s *debianTZ) set(ctx context.Context, key, value string) error {
	if key == "name" {
		if err := s.editFile(ctx, tzNameFile, tzNameLine, value+"\n"); err != nil {
			return err
		}
		if err := tzRun(ctx, s.h, s.tools.ln+" -sf "+zoneFile(value)+" "+localtime); err != nil {
			return err
		}
		return tzRun(ctx, s.h, s.tools.dpkgReconfigure+" --frontend noninteractive tzdata")
	}
	option, utc := "--utc", "yes"
	if value == "local" {
		option, utc = "--localtime", "no"
	}
	if err := s.editFile(ctx, tzRcSFile, tzUTCLine, "UTC="+utc+"\n"); err != nil {
		return err
	}
	line := s.tools.hwclock + " --systohc " + option
	if err := tzRun(ctx, s.h, line); err != nil {
		return err
	}
	s.log = append(s.log, "executed `"+line+"`")
	return nil
}

// editFile is the collection's _edit_file: the first matching line becomes
// line (or line goes first), the other matching lines go.
func (s *debianTZ) editFile(ctx context.Context, path string, re *regexp.Regexp, line string) error {
	text, _, err := s.readConfig(ctx, path)
	if err != nil {
		return err
	}
	var kept []string
	at, matched := 0, 0
	for _, l := range strings.SplitAfter(text, "\n") {
		if l == "" {
			continue
		}
		if re.MatchString(l) {
			if matched == 0 {
				at = len(kept)
			}
			matched++
			continue
		}
		kept = append(kept, l)
	}
	lines := append(append(append([]string{}, kept[:at]...), line), kept[at:]...)
	content := []byte(strings.Join(lines, ""))
	if _, _, err := modules.WriteContent(ctx, s.h, modules.ContentWrite{Path: path, Content: content}); err != nil {
		return err
	}
	s.log = append(s.log, fmt.Sprintf("Added 1 line and deleted %d line(s) on %s", matched, path))
	return nil
}

func (s *debianTZ) messages() []string { return s.log }
