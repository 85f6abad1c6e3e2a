#!/usr/bin/env bash
# Installs what internal/kubetest needs for ferry's real-cluster tests:
#   - etcd, from Debian's etcd-server package (it does not start a service here);
#   - kube-apiserver, built by build.sh into ~/.cache/ferry (skipped when cached).
# Idempotent: a warm machine finishes in about a second. Prints the
# kube-apiserver path on its last line.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

as_root() {
	if [[ $(id -u) -eq 0 ]]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		echo "ci-setup.sh: '$*' needs root and sudo is missing; install etcd-server yourself or run as root" >&2
		return 1
	fi
}

install_etcd() {
	if command -v etcd >/dev/null; then
		return 0
	fi
	if ! command -v apt-get >/dev/null; then
		echo "ci-setup.sh: etcd is not on PATH and apt-get is missing; install etcd 3.4+ and put it on PATH (or set FERRY_ETCD)" >&2
		return 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	# A machine whose package lists were never fetched (or are stale) cannot
	# find or download etcd-server: refresh them once and try again.
	if ! as_root apt-get install -y -q etcd-server >&2; then
		as_root apt-get update -q >&2
		as_root apt-get install -y -q etcd-server >&2
	fi
	if ! command -v etcd >/dev/null; then
		echo "ci-setup.sh: etcd-server installed but 'etcd' is not on PATH ($PATH)" >&2
		return 1
	fi
}

install_etcd
echo "ci-setup.sh: etcd: $(command -v etcd)" >&2
"$here/build.sh"
