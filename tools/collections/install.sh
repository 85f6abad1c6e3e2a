#!/usr/bin/env bash
# Installs the Ansible collections that ferry's comparison tests use as the
# reference for collection modules (sysctl, mount, modprobe, timezone...):
# ansible.posix 1.5.4 and community.general 6.6.9, the versions Ansible 7
# shipped beside ansible-core 2.14 (Debian's ansible-core has none, and
# Galaxy is out of reach here). They come from a bare git mirror of each
# collection, $FERRY_COLLECTIONS_MIRROR/<owner>+<name>/repo (default
# /work/.mirror), and go to a cache outside the clone that
# internal/ansiblecmp hands ansible-playbook as ANSIBLE_COLLECTIONS_PATH:
#   ${XDG_CACHE_HOME:-~/.cache}/ferry-test/collections/ansible_collections/<ns>/<name>
# A collection already installed at its version is left alone. Without the
# mirror this does nothing: the tests then compare with the outcomes they
# recorded (testdata/*.ansible.json), never skip.
set -euo pipefail

mirror=${FERRY_COLLECTIONS_MIRROR:-/work/.mirror}
dest=${XDG_CACHE_HOME:-$HOME/.cache}/ferry-test/collections/ansible_collections

# namespace name tag mirror-directory
collections=(
  "ansible posix 1.5.4 ansible-collections+ansible.posix"
  "community general 6.6.9 ansible-collections+community.general"
)

for c in "${collections[@]}"; do
  read -r ns name tag repo <<<"$c"
  git_dir=$mirror/$repo/repo
  target=$dest/$ns/$name
  if [ "$(cat "$target/.ferry-version" 2>/dev/null)" = "$tag" ]; then
    continue
  fi
  if ! git -C "$git_dir" rev-parse -q --verify "refs/tags/$tag" >/dev/null 2>&1; then
    echo "collections: no $ns.$name $tag at $git_dir: the tests compare with their recorded outcomes" >&2
    continue
  fi
  tmp=$(mktemp -d "$dest.XXXXXX" 2>/dev/null || { mkdir -p "$dest" && mktemp -d "$dest.XXXXXX"; })
  git -C "$git_dir" archive "$tag" | tar -x -C "$tmp"
  echo "$tag" >"$tmp/.ferry-version"
  mkdir -p "$dest/$ns"
  rm -rf "$target"
  mv "$tmp" "$target"
  echo "collections: installed $ns.$name $tag" >&2
done
