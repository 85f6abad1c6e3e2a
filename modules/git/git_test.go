package git_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/rootfs"
)

// gitEnv makes commits the same on every root: fixed author, committer
// and dates give the same SHA-1s, which the results compare.
const gitEnv = `set -e
export HOME=/root GIT_AUTHOR_NAME=ferry GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=ferry \
  GIT_COMMITTER_EMAIL=t@example.com GIT_AUTHOR_DATE=2024-01-01T00:00:00Z GIT_COMMITTER_DATE=2024-01-01T00:00:00Z
`

// upstream is /srv/upstream.git: master with two commits (tags v1.0 on
// the first, annotated v1.1), a branch dev; /srv/seed is the clone that
// pushes to it, /srv/mirror.git a copy under another URL.
const upstream = gitEnv + `git init -q --bare -b master /srv/upstream.git
git init -q -b master /srv/seed && cd /srv/seed
echo one > README && git add README && git commit -q -m one
git tag v1.0 && git tag -a -m release v1.1
echo two >> README && git commit -q -am two
git checkout -q -b dev && echo dev > DEV && git add DEV && git commit -q -m dev && git checkout -q master
git remote add origin /srv/upstream.git && git push -q origin master dev --tags 2>/dev/null
git clone -q --bare /srv/upstream.git /srv/mirror.git
`

// moveUpstream is a new commit on master, tagged v2.0.
const moveUpstream = gitEnv + `cd /srv/seed && echo three >> README && git commit -q -am three && git tag v2.0
git push -q origin master --tags 2>/dev/null
`

// clones describes every clone under /srv/work: its commit, branch,
// status, remotes, shallowness and files, for the effects' comparison.
const clones = `cd /srv/work 2>/dev/null || exit 0
for d in *; do
  echo "== $d"
  git -C "$d" rev-parse HEAD 2>&1
  git -C "$d" rev-parse --is-shallow-repository --is-bare-repository 2>&1
  git -C "$d" branch -a --no-color 2>&1
  git -C "$d" remote -v 2>&1
  git -C "$d" status --porcelain 2>&1 || true
  git -C "$d" tag 2>&1 | tr '\n' ' '; echo
  find "$d" -path "$d/.git" -prune -o -type f -print | sort | xargs -r md5sum
done
`

func gitRoot(t *testing.T) *rootfs.Host {
	h := rootfs.Start(t)
	h.Run(upstream)
	return h
}

// step is one round of a sequence: a script run first on both roots (the
// upstream moves, a file is changed), then a playbook through both tools.
type step struct {
	name     string
	script   string
	playbook string
	check    bool
	diff     bool
	extra    map[string]string
	skip     []string // result fields not compared
	// theirsChange says ansible-playbook changes its host under --check
	// in this step (git.py fetches to diff): the clones are compared at the
	// next step, and only ours must be as they were.
	theirsChange bool
	ours         func(t *testing.T, f ansiblecmp.Outcome) // more checks of ferry's run
}

// runSteps runs the steps on two fresh roots, ferry on one and
// ansible-playbook on the other: exit codes, recaps, every registered
// field and the clones must agree after each step, and --check must leave
// the clones as they were.
func runSteps(t *testing.T, steps []step) { runStepsWith(t, steps, clones) }

// runStepsWith is runSteps with describe, a script that prints the
// effects to compare.
func runStepsWith(t *testing.T, steps []step, describe string) {
	state := func(h *rootfs.Host) string { return h.Run(describe) }
	ours, theirs := gitRoot(t), gitRoot(t)
	first := strings.TrimSpace(ours.Run("git -C /srv/upstream.git rev-parse master~1"))
	if other := strings.TrimSpace(theirs.Run("git -C /srv/upstream.git rev-parse master~1")); other != first {
		t.Fatalf("the two roots' upstreams differ: %s and %s", first, other)
	}
	for _, s := range steps {
		if s.script != "" {
			ours.Run(s.script)
			theirs.Run(s.script)
		}
		extra := map[string]string{"first": first}
		for k, v := range s.extra {
			extra[k] = v
		}
		playbook, _ := filepath.Abs(filepath.Join("testdata", s.playbook))
		before := state(ours)
		run := func(h *rootfs.Host) ansiblecmp.Run {
			return ansiblecmp.Run{Playbook: playbook, Inventory: h.Inventory(t), Check: s.check, Diff: s.diff, ExtraVars: extra}
		}
		f := ansiblecmp.Ferry(t, run(ours))
		a, ran := ansiblecmp.Ansible(t, run(theirs))
		if !ran {
			return
		}
		ansiblecmp.SameRecap(t, f, a)
		ansiblecmp.AllFields(t, f, a, append(s.skip, "_ansible_verbose_always")...)
		if got, want := state(ours), state(theirs); got != want && !s.theirsChange {
			t.Errorf("%s: the clones differ\nferry:\n%s\nansible-playbook:\n%s", s.name, got, want)
		}
		if s.ours != nil {
			s.ours(t, f)
		}
		if s.check && state(ours) != before {
			t.Errorf("%s: --check changed the clones:\n%s\nbefore:\n%s", s.name, state(ours), before)
		}
		if t.Failed() {
			t.Fatalf("step %q differs", s.name)
		}
		t.Logf("%s: %+v", s.name, f.Stats)
	}
}

// TestGitAgainstAnsible: clones of HEAD, tags, a SHA-1, a branch, shallow,
// single-branch and bare, with --check (ls-remote, nothing written), for
// real, again (ok: idempotent), then after upstream moved, under --check
// and for real with --diff; then a local modification, which fails without
// force (under --check too) and is reset with it, and a new remote URL;
// last --check --diff of an update, which changes nothing in ferry.
func TestGitAgainstAnsible(t *testing.T) {
	runSteps(t, []step{
		{name: "check of the clones", playbook: "clone.yml", check: true},
		{name: "clone", playbook: "clone.yml"},
		{name: "again", playbook: "clone.yml"},
		{name: "check of an update", script: moveUpstream, playbook: "clone.yml", check: true},
		{name: "update, with its diff", playbook: "clone.yml", diff: true},
		{name: "again after the update", playbook: "clone.yml"},
		{name: "local modification under check", script: "echo mine >> /srv/work/head/README", playbook: "local.yml", check: true},
		{name: "local modification", playbook: "local.yml"},
		{name: "local modification, forced, new URL", playbook: "local.yml", extra: map[string]string{"force": "true", "repo": "/srv/mirror.git"}},
		{name: "forced again", playbook: "local.yml", extra: map[string]string{"force": "true", "repo": "/srv/mirror.git"}},
		// last: ansible-playbook fetches under --check --diff (its bare
		// clone even moves), so the two roots differ from here on
		{name: "check of an update, with its diff", script: strings.NewReplacer("three", "four", "v2.0", "v3.0").Replace(moveUpstream), playbook: "clone.yml",
			check: true, diff: true, skip: []string{"diff"}, theirsChange: true, ours: unfetchedDiff},
	})
}

// extrasSetup adds a superproject with a submodule (/srv/super.git,
// /srv/sub.git; file:// submodules allowed, as git 2.38 needs), a pull
// request's ref on upstream, the archives' directory and /srv/bin/git, a
// wrapper that logs GIT_SSH_COMMAND and its arguments to /srv/git.log.
const extrasSetup = gitEnv + `git config --system protocol.file.allow always
git init -q --bare -b master /srv/sub.git && git init -q --bare -b master /srv/super.git
git init -q -b master /srv/sub-seed && cd /srv/sub-seed && echo sub > SUB && git add SUB && git commit -q -m sub
git remote add origin /srv/sub.git && git push -q origin master 2>/dev/null
git init -q -b master /srv/super-seed && cd /srv/super-seed && git submodule -q add /srv/sub.git sub 2>/dev/null
git commit -q -m super && git remote add origin /srv/super.git && git push -q origin master 2>/dev/null
git -C /srv/upstream.git update-ref refs/pull/1/head dev
mkdir -p /srv/out /srv/bin /srv/gitdirs
printf '#!/bin/sh\nprintf "%%s | %%s\\n" "$GIT_SSH_COMMAND" "$*" >> /srv/git.log\nexec /usr/bin/git "$@"\n' > /srv/bin/git
chmod 755 /srv/bin/git
`

// moveSubmodule is a new commit of the submodule, recorded by the
// superproject, and upstream moved (the archive of HEAD changes).
const moveSubmodule = moveUpstream + `cd /srv/sub-seed && echo more >> SUB && git commit -q -am more && git push -q origin master 2>/dev/null
cd /srv/super-seed/sub && git pull -q origin master 2>/dev/null && cd .. && git commit -q -am "sub moved" && git push -q origin master 2>/dev/null
`

// extrasState adds to the clones what the extras leave: archives (their
// listings: zip and tar record no times that differ here but git's), the
// separate git dir, file modes under umask, the submodule's commit and
// the ssh log.
const extrasState = clones + `
cd /srv && ls -la out | awk '{print $1, $NF}'; tar -tf out/upstream.tar 2>&1; md5sum out/* 2>&1
cat work/sep/.git 2>&1; echo; ls gitdirs/sep 2>&1
find work/umask -path work/umask/.git -prune -o -printf '%m %p\n' | sort
git -C work/super/sub rev-parse HEAD 2>&1
cat git.log 2>&1
`

// TestGitExtrasAgainstAnsible: submodules (cloned, then updated when the
// superproject records a new commit of theirs), archives (written,
// replaced when version's tree changed, kept when not), separate_git_dir,
// refspec, umask and the ssh options through GIT_SSH_COMMAND, and the
// result's keys in their order; --check, real runs, a re-run and an update.
func TestGitExtrasAgainstAnsible(t *testing.T) {
	steps := []step{
		{name: "setup", script: extrasSetup, playbook: "extras.yml", check: true},
		{name: "real", playbook: "extras.yml"},
		{name: "again", playbook: "extras.yml"},
		{name: "update", script: moveSubmodule, playbook: "extras.yml"},
		{name: "again after the update", playbook: "extras.yml"},
	}
	runStepsWith(t, steps, extrasState)
}

// unfetchedDiff: under --check --diff ferry does not fetch the new head
// (git.py does, README), so git diff cannot reach it and says so.
func unfetchedDiff(t *testing.T, f ansiblecmp.Outcome) {
	r := f.Result(t, "shallow", "target")
	prepared, _ := ansiblecmp.Field(r, "diff.prepared")
	if s, _ := prepared.(string); !strings.HasPrefix(s, ">> Failed to get proper diff between "+fmt.Sprint(r["before"])+" and "+fmt.Sprint(r["after"])) {
		t.Errorf("diff of an update not fetched under --check: %v", r)
	}
}
