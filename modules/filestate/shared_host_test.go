package filestate_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ferry-sh/ferry/internal/modtest"
	"github.com/ferry-sh/ferry/internal/sshtest"
	"github.com/ferry-sh/ferry/modules"
)

// Writes on hosts that other users share (docs/reliability.md): the part a
// file streams into is never followed, never taken over from another user,
// and never readable by others. These run over the real sshd as an
// unprivileged login user (with and without become) while a second local
// user, "other", plants things in a directory both may write to.

type sharedHost struct {
	login, other sshtest.User
	dir          string // everyone may write here (not sticky)
	conn         modules.Conn
}

func newSharedHost(t *testing.T) *sharedHost {
	t.Helper()
	login := sshtest.AddUser(t, sshtest.SudoNoPassword) // skips unless root
	other := sshtest.AddUser(t, sshtest.NoSudo)
	srv := sshtest.Start(t, sshtest.Options{})
	return &sharedHost{login: login, other: other, dir: publicDir(t, 0o777), conn: modtest.SSHConnWith(t, srv.UserVars(0, login))}
}

func (s *sharedHost) host(become bool) *modules.Host {
	h := &modules.Host{Name: "node", Conn: modules.Seal(s.conn), Vars: modtest.Vars{}, Cache: &sync.Map{}}
	if become {
		h.Become = &modules.Become{}
	}
	return h
}

// publicDir is a new directory outside t.TempDir (which only root may
// enter) with the given mode.
func publicDir(t *testing.T, mode os.FileMode) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ferry-shared-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
	return dir
}

func uidOf(t *testing.T, u sshtest.User) int {
	t.Helper()
	found, err := user.Lookup(u.Name)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(found.Uid)
	return uid
}

// giveTo makes path (not what a link points to) belong to u.
func giveTo(t *testing.T, path string, u sshtest.User) {
	t.Helper()
	if err := os.Lchown(path, uidOf(t, u), -1); err != nil {
		t.Fatal(err)
	}
}

func ownerUID(t *testing.T, path string) int {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return int(fi.Sys().(*syscall.Stat_t).Uid)
}

// wantInstalled checks that dest is a regular file (not a link) with content
// and mode 0600, owned by uid, and that no part is left.
func wantInstalled(t *testing.T, dest, content string, uid int) {
	t.Helper()
	fi, err := os.Lstat(dest)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 || modtest.ReadFile(t, dest) != content || ownerUID(t, dest) != uid {
		t.Errorf("dest is %v owned by %d with %q, want a regular 0600 file owned by %d with %q",
			fi.Mode(), ownerUID(t, dest), modtest.ReadFile(t, dest), uid, content)
	}
	if _, err := os.Lstat(dest + ".ferry-part"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the part is still there (%v)", err)
	}
}

// A link another user plants at dest.ferry-part is replaced, not followed:
// the file it points to keeps its content, mode and owner, and dest becomes
// a regular file.
func TestCopyDoesNotFollowALinkPlantedAtThePart(t *testing.T) {
	s := newSharedHost(t)
	for _, become := range []bool{false, true} {
		t.Run(map[bool]string{false: "login user", true: "become"}[become], func(t *testing.T) {
			// The victim: a file of the login user's, or root's with become.
			victimOwner := uidOf(t, s.login)
			if become {
				victimOwner = 0
			}
			victim := filepath.Join(publicDir(t, 0o755), "victim")
			if err := os.WriteFile(victim, []byte("victim\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			os.Chown(victim, victimOwner, -1)
			dest := filepath.Join(s.dir, "secret-"+strconv.FormatBool(become))
			if err := os.Symlink(victim, dest+".ferry-part"); err != nil {
				t.Fatal(err)
			}
			giveTo(t, dest+".ferry-part", s.other)
			modtest.MustRun(t, s.host(become), "copy", map[string]any{"content": "TOP SECRET\n", "dest": dest, "mode": "0600"})
			if got := modtest.ReadFile(t, victim); got != "victim\n" || modtest.FileMode(t, victim) != 0o644 || ownerUID(t, victim) != victimOwner {
				t.Errorf("the link's target was written through: %q mode %o owner %d", got, modtest.FileMode(t, victim), ownerUID(t, victim))
			}
			wantInstalled(t, dest, "TOP SECRET\n", map[bool]int{false: uidOf(t, s.login), true: 0}[become])
		})
	}
}

// A part another user created (writable by all, with the secret's first
// bytes so that it looks resumable, and hard-linked where they keep it) is
// not written into: what they kept never sees the secret.
func TestCopyDoesNotReuseAnotherUsersPart(t *testing.T) {
	s := newSharedHost(t)
	const secret = "TOP SECRET: the database password\n"
	plant := func(t *testing.T, dir, dest string) string {
		t.Helper()
		part, keep := dest+".ferry-part", filepath.Join(dir, ".kept-"+filepath.Base(dest))
		if err := os.WriteFile(part, []byte(secret[:5]), 0o666); err != nil {
			t.Fatal(err)
		}
		os.Chmod(part, 0o666)
		giveTo(t, part, s.other)
		if err := os.Link(part, keep); err != nil {
			t.Fatal(err)
		}
		return keep
	}
	for _, become := range []bool{false, true} {
		t.Run(map[bool]string{false: "login user", true: "become"}[become], func(t *testing.T) {
			dest := filepath.Join(s.dir, "secret-"+strconv.FormatBool(become))
			keep := plant(t, s.dir, dest)
			modtest.MustRun(t, s.host(become), "copy", map[string]any{"content": secret, "dest": dest, "mode": "0600"})
			if got := modtest.ReadFile(t, keep); got != secret[:5] {
				t.Errorf("the other user's file now holds %q", got)
			}
			wantInstalled(t, dest, secret, map[bool]int{false: uidOf(t, s.login), true: 0}[become])
		})
	}
	// In a sticky directory (like /tmp) the login user may not replace the
	// other user's part: the task fails and says so, nothing is written.
	t.Run("sticky directory", func(t *testing.T) {
		dir := publicDir(t, 0o777|os.ModeSticky)
		os.Chmod(dir, 0o777|os.ModeSticky)
		dest := filepath.Join(dir, "secret")
		keep := plant(t, dir, dest)
		_, _, err := modtest.Run(t, s.host(false), "copy", map[string]any{"content": secret, "dest": dest, "mode": "0600"})
		if err == nil || !strings.Contains(err.Error(), dest+".ferry-part") || !strings.Contains(err.Error(), "remove it") {
			t.Errorf("err = %v, want the foreign part named and what to do", err)
		}
		if got := modtest.ReadFile(t, keep); got != secret[:5] {
			t.Errorf("the other user's file now holds %q", got)
		}
		if _, err := os.Lstat(dest); err == nil {
			t.Error("dest was installed")
		}
	})
}

// The part is private from its first byte: while the content streams in and
// after a transfer that did not finish (here the source changes meanwhile).
func TestCopyPartIsPrivateWhileWrittenAndAfterAnInterruption(t *testing.T) {
	s := newSharedHost(t)
	for _, become := range []bool{false, true} {
		t.Run(map[bool]string{false: "login user", true: "become"}[become], func(t *testing.T) {
			src, _ := writeSrc(t, 8<<20, 9)
			os.Chmod(filepath.Dir(src), 0o755)
			dest := filepath.Join(s.dir, "bundle-"+strconv.FormatBool(become))
			part := dest + ".ferry-part"
			h := s.host(become)
			var streaming fs.FileMode
			h.Events = func(e modules.Event) {
				if e.Kind != "progress" || e.Done >= e.Total || streaming != 0 {
					return
				}
				// With become the part exists before the stream starts; the
				// login user's own upload creates it as the data arrives.
				if fi, err := os.Lstat(part); err == nil {
					streaming = fi.Mode()
				} else if become {
					t.Errorf("no part while streaming with become: %v", err)
				}
				later := time.Now().Add(time.Hour)
				os.Chtimes(src, later, later)
			}
			_, _, err := modtest.Run(t, h, "copy", map[string]any{"src": src, "dest": dest, "mode": "0644"})
			if err == nil || !strings.Contains(err.Error(), "changed while it was copied") {
				t.Fatalf("err = %v, want the interrupted transfer", err)
			}
			if streaming&0o077 != 0 {
				t.Errorf("the part was %v while the content streamed in", streaming)
			}
			fi, err := os.Lstat(part)
			if err != nil {
				t.Fatalf("no part left to resume: %v", err)
			}
			if fi.Mode() != 0o600 || ownerUID(t, part) != uidOf(t, s.login) {
				t.Errorf("the part left behind is %v owned by %d, want -rw------- owned by the login user", fi.Mode(), ownerUID(t, part))
			}
		})
	}
}

// Resuming stays: a part that is the login user's own and private is
// continued; one that others could read (as ferry used to leave them) or
// that has a second name is started over.
func TestCopyResumesOnlyTheLoginUsersPrivatePart(t *testing.T) {
	s := newSharedHost(t)
	src, data := writeSrc(t, 2<<20, 10)
	os.Chmod(filepath.Dir(src), 0o755)
	const kept = 1<<20 + 3
	tests := []struct {
		name     string
		mode     os.FileMode
		hardLink bool
		resumed  bool
	}{
		{"private", 0o600, false, true},
		{"readable by others", 0o644, false, false},
		{"hard-linked", 0o600, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dest := filepath.Join(s.dir, strings.ReplaceAll(tc.name, " ", "-"))
			part := dest + ".ferry-part"
			if err := os.WriteFile(part, data[:kept], tc.mode); err != nil {
				t.Fatal(err)
			}
			os.Chmod(part, tc.mode)
			giveTo(t, part, s.login)
			if tc.hardLink {
				os.Link(part, dest+".other-name")
			}
			res, _ := modtest.MustRun(t, s.host(true), "copy", map[string]any{"src": src, "dest": dest})
			want := int64(len(data))
			if tc.resumed {
				want -= kept
			}
			if got := res.Data["bytes_transferred"]; got != want {
				t.Errorf("bytes_transferred = %v, want %d", got, want)
			}
			if got, _ := os.ReadFile(dest); !bytes.Equal(got, data) {
				t.Error("dest differs from src")
			}
		})
	}
}
