package git

import (
	"fmt"
	"path"
	"strings"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

// archiveFormats are create_archive's formats by the archive's extension.
var archiveFormats = map[string]string{".zip": "zip", ".gz": "tar.gz", ".tar": "tar", ".tgz": "tgz"}

// archive is create_archive: version written as an archive at the
// archive path, replaced only when its content differs (a change), as
// git.py compares them. Under --check it is a change without a look.
func (j *job) archive() error {
	if j.o.Archive == nil {
		return nil
	}
	if j.h.Check {
		j.changed = true
		return nil
	}
	archive := *j.o.Archive
	format, ok := archiveFormats[extension(archive)]
	if !ok {
		return fail("Unable to get file extension from archive file name : "+archive,
			"details", "Please specify archive as filename with extension. File extension can be one of ['tar', 'tar.gz', 'zip', 'tgz']")
	}
	exists, err := j.exists("-e", archive)
	if err != nil {
		return err
	}
	if !exists {
		j.changed = true
		return j.effect("write "+archive, func(w modules.Writer) error { return j.gitArchive(w, format, archive) })
	}
	return j.replaceArchive(format, archive)
}

// replaceArchive writes the archive in a temporary directory and moves it
// over the existing one when they differ.
func (j *job) replaceArchive(format, archive string) error {
	var tmp string
	err := j.h.Act(func(w modules.Writer) error {
		out, err := hostcmd.Write(j.ctx, w, j.h, "mktemp -d", nil)
		if err == nil && out.RC != 0 {
			err = fmt.Errorf("mktemp -d: %s", out.Stderr)
		}
		tmp = strings.TrimSpace(out.Stdout)
		if err != nil {
			return err
		}
		name := strings.ReplaceAll(path.Base(j.repo), ".git", "")
		return j.gitArchive(w, format, path.Join(tmp, name+"."+format))
	})
	defer j.h.Act(func(w modules.Writer) error { //nolint:errcheck // best effort: a private temporary directory
		_, err := hostcmd.Write(j.ctx, w, j.h, "rm -rf -- "+hostcmd.Quote(tmp), nil)
		return err
	})
	if err != nil {
		return err
	}
	fresh := path.Join(tmp, strings.ReplaceAll(path.Base(j.repo), ".git", "")+"."+format)
	same, err := hostcmd.Query(j.ctx, j.h, hostcmd.Quote("cmp", "-s", fresh, archive))
	if err != nil || same.RC == 0 {
		j.changed = false // git.py: result.update(changed=False)
		return err
	}
	j.changed = true
	return j.effect("replace "+archive, func(w modules.Writer) error {
		out, err := hostcmd.Write(j.ctx, w, j.h, hostcmd.Quote("mv", "--", fresh, archive), nil)
		if err == nil && out.RC != 0 {
			err = fail(fmt.Sprintf("Failed to move %s to %s", fresh, archive), "details", "Error occurred while moving : "+strings.TrimSpace(out.Stderr))
		}
		return err
	})
}

// gitArchive is git_archive: git archive of version into file.
func (j *job) gitArchive(w modules.Writer, format, file string) error {
	args := []string{"archive", "--format", format, "--output", file}
	if j.o.ArchivePrefix != nil {
		args = append(args, "--prefix", *j.o.ArchivePrefix)
	}
	out, err := j.write(w, j.dest, append(args, j.o.Version)...)
	if err == nil && out.RC != 0 {
		err = fail("Failed to perform archive operation", "details",
			fmt.Sprintf("Git archive command failed to create archive %s using %s directory.Error: %s", file, j.dest, out.Stderr))
	}
	return err
}

// extension is os.path.splitext's: from the last dot of the base name,
// not a leading one.
func extension(p string) string {
	base := strings.TrimLeft(path.Base(p), ".")
	if i := strings.LastIndex(base, "."); i >= 0 {
		return base[i:]
	}
	return ""
}
