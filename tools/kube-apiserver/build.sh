#!/usr/bin/env bash
# Builds kube-apiserver from the Go module proxy for ferry's real-cluster tests
# (internal/kubetest) and prints the binary's path on stdout.
#
# Idempotent: the binary is cached outside the clone, keyed by version, at
#   ${XDG_CACHE_HOME:-$HOME/.cache}/ferry/kube-apiserver-<version>
# and a run that finds it there builds nothing. A cold build takes ~4 minutes
# and ~1.5 GB of memory on 2 cores; later runs take well under a second.
#
# Needs only Go and the module proxy: go.sum is committed, so no checksum
# database look-ups happen (the mirror answers 404 for four staging modules).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# The version comes from go.mod so that bumping k8s.io/kubernetes there also
# changes the cache key.
version="$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ { print $2; exit }' "$here/go.mod")"
if [[ ! "$version" =~ ^v([0-9]+)\.([0-9]+)\.[0-9]+$ ]]; then
	echo "build.sh: cannot read the k8s.io/kubernetes version from $here/go.mod (got '$version'); add a 'k8s.io/kubernetes vX.Y.Z' requirement" >&2
	exit 1
fi
major="${BASH_REMATCH[1]}"
minor="${BASH_REMATCH[2]}"

cache_dir="${XDG_CACHE_HOME:-$HOME/.cache}/ferry"
bin="$cache_dir/kube-apiserver-$version"

if [[ -x "$bin" ]]; then
	echo "$bin"
	exit 0
fi

mkdir -p "$cache_dir"
# Build into a temporary name and rename, so an interrupted or concurrent build
# never leaves a half-written binary under the cached name.
tmp="$(mktemp "$bin.XXXXXX.tmp")"
trap 'rm -f "$tmp"' EXIT

echo "build.sh: building kube-apiserver $version into $bin (cold build: ~4 min, ~1.5 GB RAM)" >&2
start=$SECONDS
(
	cd "$here"
	# -mod=readonly: use the committed go.sum as is (never tidy this module).
	# GOTOOLCHAIN=local: never try to download a toolchain.
	# The ldflags stamp the version; without them /version says
	# v0.0.0-master and kubectl refuses the server.
	GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" go build -trimpath \
		-ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$version -X k8s.io/component-base/version.gitMajor=$major -X k8s.io/component-base/version.gitMinor=$minor" \
		-o "$tmp" k8s.io/kubernetes/cmd/kube-apiserver
)
chmod 0755 "$tmp"
mv -f "$tmp" "$bin"
echo "build.sh: built in $((SECONDS - start)) s" >&2
echo "$bin"
