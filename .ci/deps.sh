#!/usr/bin/env bash
# Installs what the tests run against, only when missing: a real OpenSSH sshd,
# its client tools (ssh, scp, ssh-agent, ssh-keygen) and sudo, ps/pkill (the
# signal tests look for leftover processes), ansible-core (the reference ferry
# is compared with: Debian's, plus the collections tools/collections/install.sh
# adds from a mirror when there is one), etcd and a kube-apiserver built from
# the Go module proxy (cached outside the clone), and a debootstrap'd Debian
# root for the system module tests.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh-agent >/dev/null || need+=(openssh-client)
command -v pkill >/dev/null || need+=(procps)
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
# The throw-away Debian root of the package, service and user module tests
# (internal/rootfs): built once into ~/.cache/ferry-test, a no-op after that.
bash internal/rootfs/build.sh
# The Ansible collections the collection modules are compared with, when a
# mirror of them is here (else the tests compare with recorded outcomes).
bash tools/collections/install.sh
