#!/usr/bin/env bash
# Builds the throw-away Debian root that the package, service and user module
# tests run in (internal/rootfs): debootstrap bookworm, minbase plus the
# packages in packages.txt, then apt-get inside it for packages-apt.txt (those
# whose maintainer scripts need a configured system: debootstrap cannot order
# polkitd's, which firewalld needs), into a cache outside the clone named by the
# hash of both lists, so a changed list builds a new root and an unchanged one
# costs nothing. Idempotent: a root that finished building (its .ferry-complete
# stamp) is kept as it is.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
hash=$(cat "$here/packages.txt" "$here/packages-apt.txt" | sha256sum | cut -c1-16)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/ferry-test
root=$cache/rootfs-$hash
[ -e "$root/.ferry-complete" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "rootfs: building $root needs root (debootstrap)" >&2
  exit 1
fi
if ! command -v debootstrap >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi
mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.build-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
debootstrap --variant=minbase --include="$(paste -sd, "$here/packages.txt")" \
  bookworm "$tmp/root" "${FERRY_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$tmp/log" 2>&1 ||
  { tail -20 "$tmp/log" >&2; exit 1; }
# No daemon starts inside the build or inside a test root by itself.
printf '#!/bin/sh\nexit 101\n' >"$tmp/root/usr/sbin/policy-rc.d"
chmod 755 "$tmp/root/usr/sbin/policy-rc.d"
mount -t proc proc "$tmp/root/proc"
trap 'umount "$tmp/root/proc" 2>/dev/null; rm -rf "$tmp"' EXIT
chroot "$tmp/root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  $(cat "$here/packages-apt.txt") >"$tmp/log" 2>&1 || { tail -20 "$tmp/log" >&2; exit 1; }
umount "$tmp/root/proc"
rm -f "$tmp/root/usr/sbin/policy-rc.d"
rm -f "$tmp/root/etc/ssh/ssh_host_"*
chroot "$tmp/root" apt-get clean
touch "$tmp/root/.ferry-complete"
rm -rf "$root"
mv "$tmp/root" "$root"
