package files_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/sshtest"
)

// archives writes app.tar.gz, app.tar and app.zip (the same members), the
// empty destinations t1-t5, z1-z3 and z4, app.zip's unpacked copy.
func archives(t testing.TB, workdir string) {
	t.Helper()
	writeTar(t, filepath.Join(workdir, "app.tar.gz"), true)
	writeTar(t, filepath.Join(workdir, "app.tar"), false)
	writeZip(t, workdir)
	for _, d := range []string{"t1", "t2", "t3", "t4", "t5"} {
		if err := os.Mkdir(filepath.Join(workdir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// TestUnarchiveAttrsAgainstAnsible runs testdata/unarchive_attrs.yml
// through ferry and ansible-playbook against the same sshd host, for real
// (tar is skipped under --check; unzip.yml has zip's mode under --check):
// unarchive's mode (octal and symbolic), owner and group
// applied to every member, include, exclude, keep_newer and extra_opts;
// same recap, same registered results, same files (the effects task).
func TestUnarchiveAttrsAgainstAnsible(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	playbook, _ := filepath.Abs(filepath.Join("testdata", "unarchive_attrs.yml"))
	// A controller archive's src is each tool's temporary copy on the host
	// (ferry streams a tar archive into tar's stdin: its cmd has -f -);
	// extract_results is compared without cmd for those tasks below.
	controller := []string{"tar mode", "tar mode again", "tar mode after a drift", "tar owner and group", "tar owner and group again",
		"tar include", "tar exclude stripped", "tar exclude stripped again", "tar keep_newer"}
	skip := []string{"uid", "gid", "start", "end", "delta"}
	for _, task := range controller {
		skip = append(skip, "src@"+task, "extract_results@"+task)
	}
	compareArchiveRuns(t, srv, playbook, archives, skip, func(f, a ansiblecmp.Outcome) {
		for _, task := range controller {
			ansiblecmp.SameFields(t, f, a, task, "node", "extract_results.rc", "extract_results.out", "extract_results.err")
		}
	}, false)
}
