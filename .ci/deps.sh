#!/usr/bin/env bash
# Installs what the tests run against, only when missing: a real OpenSSH sshd
# and sudo, ansible-core (the reference ferry is compared with), etcd and a
# kube-apiserver built from the Go module proxy (cached outside the clone).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v sudo >/dev/null || need+=(sudo)
command -v ansible-playbook >/dev/null || need+=(ansible-core)
command -v etcd >/dev/null || need+=(etcd-server)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "deps: missing ${need[*]}; run as root (or install them) first" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
bash tools/kube-apiserver/ci-setup.sh >/dev/null
go mod download
