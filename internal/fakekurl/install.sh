#!/bin/bash
# Fake kURL install.sh: parses flags and prompts like kURL's, and registers
# the cluster through kurl/bin/kurl-register. Run like the real one, from the
# extracted bundle: cat install.sh | sudo bash -s airgap private-address=IP yes
set -e

# @FAKEKURL_CONFIG@

KURL_INSTALL_DIRECTORY=./kurl
GREEN='\033[0;32m'
BLUE='\033[0;94m'
LIGHT_BLUE='\033[0;34m'
YELLOW='\033[0;33m'
RED='\033[0;31m'
NC='\033[0m'

function bail() {
    printf "${RED}$1${NC}\n" 1>&2
    exit 1
}

function logStep() {
    printf "${BLUE}⚙  $1${NC}\n" 1>&2
}

function logSuccess() {
    printf "${GREEN}✔ $1${NC}\n" 1>&2
}

function logWarn() {
    printf "${YELLOW}$1${NC}\n" 1>&2
}

function require_root_user() {
    local user="$(id -un 2>/dev/null || true)"
    if [ "$user" != "root" ]; then
        bail "Error: this installer needs to be run as root."
    fi
}

# get_patch_yaml accepts exactly the flags of kURL's get_patch_yaml
# (scripts/common/utilbinaries.sh:72-226), bare or key=value, and exits 1 on
# any other. Only the flags whose effect the fake models set anything; the
# others are accepted and have no effect here. preflight-ignore-warnings is
# a legacy no-op in kURL too (kurl_util/cmd/bashmerge/main.go:220), and
# dismiss-host-packages-preflight sets a variable nothing reads.
function get_patch_yaml() {
    while [ "$1" != "" ]; do
        _param="$(echo "$1" | cut -d= -f1)"
        _value="$(echo "$1" | grep '=' | cut -d= -f2- || true)"
        case $_param in
            airgap)
                AIRGAP=1
                ;;
            private-address)
                PRIVATE_ADDRESS="$_value"
                ;;
            public-address)
                PUBLIC_ADDRESS="$_value"
                ;;
            kurl-install-directory)
                KURL_INSTALL_DIRECTORY_FLAG="$_value"
                ;;
            ha)
                HA_CLUSTER=1
                ;;
            load-balancer-address)
                LOAD_BALANCER_ADDRESS="$_value"
                ;;
            host-preflight-ignore|preflight-ignore)
                HOST_PREFLIGHT_IGNORE=1
                ;;
            host-preflight-enforce-warnings)
                HOST_PREFLIGHT_ENFORCE_WARNINGS=1
                ;;
            installer-spec-file)
                INSTALLER_SPEC_FILE="$(readlink -f "$_value")"
                ;;
            yes)
                ASSUME_YES=1
                ;;
            additional-no-proxy-addresses|kurl-registry-ip|cert-key|control-plane|docker-registry-ip|ekco-address|ekco-auth-token|ekco-enable-internal-load-balancer|kubernetes-cis-compliance|kubernetes-cluster-name|aws-exclude-storage-class|ignore-remote-load-images-prompt|ignore-remote-upgrade-prompt|container-log-max-size|container-log-max-files|kubernetes-max-pods-per-node|kubeadm-token|kubeadm-token-ca-hash|kubernetes-load-balancer-use-first-primary|kubernetes-master-address|kubernetes-version|kubernetes-init-ignore-preflight-errors|kubernetes-upgrade-ignore-preflight-errors|storage-migration-ready-timeout|preserve-docker-config|preserve-firewalld-config|preserve-iptables-config|preserve-selinux-config|auto-upgrades-enabled|primary-host|secondary-host|force-reapply-addons|skip-system-package-install|exclude-builtin-preflights|exclude-builtin-host-preflights|app-version-label|ipv6|velero-restic-timeout|velero-server-flags|labels|dismiss-host-packages-preflight|preflight-ignore-warnings)
                ;;
            *)
                echo >&2 "Error: unknown parameter \"$_param\""
                exit 1
                ;;
        esac
        shift
    done
}

# installer_has_addon tells whether the installer spec baked into this
# script (INSTALLER_YAML, as kURL's build puts it there: Makefile's sed of
# scripts/Manifest) names the add-on.
function installer_has_addon() {
    echo "$INSTALLER_YAML" | grep -q "^  $1:"
}

# bailIfUnsupportedOS is kURL's (scripts/common/preflights.sh:81), reading
# the ID and VERSION_ID of os-release as detectLsbDist does
# (scripts/common/discover.sh:37): the distributions kURL supports pass, the
# EOL ones warn, every other stops the install.
function bailIfUnsupportedOS() {
    local dist version
    dist="$(. "$FAKEKURL_OS_RELEASE" && echo "$ID" | tr '[:upper:]' '[:lower:]')"
    version="$(. "$FAKEKURL_OS_RELEASE" && echo "$VERSION_ID")"
    case "$dist$version" in
        ubuntu16.04|rhel7.[4-9]|centos7.[4-9]|ol7.[4-9])
            logWarn "Install is not supported on $dist $version. Installation of Kubernetes will be best effort."
            ;;
        ubuntu18.04|ubuntu20.04|ubuntu22.04|ubuntu24.04|ubuntu26.04)
            ;;
        rhel8.[0-9]|rhel8.10|rhel9|rhel9.[0-8]|rhel10|rhel10.[0-2]|rocky9|rocky9.[0-8]|rocky10|rocky10.[0-2])
            ;;
        centos8|centos8.[0-4]|centos9|amzn2|amzn2023|ol8.[0-9]|ol8.10)
            ;;
        *)
            bail "Kubernetes install is not supported on ${dist} ${version}. The list of supported operating systems can be viewed at https://kurl.sh/docs/install-with-kurl/system-requirements."
            ;;
    esac
}

function prompts_can_prompt() {
    if [ -c /dev/tty ]; then
        return 0
    fi
    return 1
}

function prompt() {
    if ! prompts_can_prompt ; then
        bail "Cannot prompt, shell is not interactive"
    fi
    set +e
    read PROMPT_RESULT < /dev/tty
    set -e
}

# prompt_for_private_ip loops for ever when there is more than one interface
# and no terminal to answer: the read from /dev/tty fails and the answer is
# empty.
function prompt_for_private_ip() {
    _count=0
    _regex_ipv4="^[[:digit:]]+: ([^[:space:]]+)[[:space:]]+[[:alnum:]]+ ([[:digit:].]+)"
    while read -r _line; do
        [[ $_line =~ $_regex_ipv4 ]] || continue
        case "${BASH_REMATCH[1]}" in
            lo|kube-ipvs0|docker0|weave|antrea-gw0|flannel.1|cni0)
                ;;
            *)
                _iface_names[$((_count))]=${BASH_REMATCH[1]}
                _iface_addrs[$((_count))]=${BASH_REMATCH[2]}
                let "_count += 1" || true
                ;;
        esac
    done <<< "$(ip -4 -o addr)"

    if [ "$_count" -eq "0" ]; then
        echo >&2 "Error: The installer couldn't discover any valid network interfaces on this machine."
        echo >&2 "Check your network configuration and re-run this script again."
        echo >&2 "If you want to skip this discovery process, pass the 'private-address' arg to this script, e.g. 'sudo ./install.sh private-address=1.2.3.4'"
        exit 1
    elif [ "$_count" -eq "1" ]; then
        PRIVATE_ADDRESS=${_iface_addrs[0]}
        printf "The installer will use network interface '%s' (with IP address '%s')\n" "${_iface_names[0]}" "${_iface_addrs[0]}"
        return
    fi

    if ! prompts_can_prompt ; then
        bail "Multiple network interfaces present, please select an IP address. Try passing the selected address to this script e.g. 'sudo ./install.sh private-address=1.2.3.4' or assign an IP address to the privateAddress field in the kurl add-on."
    fi

    printf "The installer was unable to automatically detect the private IP address of this machine.\n"
    printf "Please choose one of the following network interfaces:\n"
    for i in $(seq 0 $((_count-1))); do
        printf "[%d] %-5s\t%s\n" "$i" "${_iface_names[$i]}" "${_iface_addrs[$i]}"
    done
    while true; do
        printf "Enter desired number (0-%d): " "$((_count-1))"
        prompt
        if [ -z "$PROMPT_RESULT" ]; then
            continue
        fi
        if [ "$PROMPT_RESULT" -ge "0" ] && [ "$PROMPT_RESULT" -lt "$_count" ]; then
            PRIVATE_ADDRESS=${_iface_addrs[$PROMPT_RESULT]}
            printf "The installer will use network interface '%s' (with IP address '%s').\n" "${_iface_names[$PROMPT_RESULT]}" "$PRIVATE_ADDRESS"
            return
        fi
    done
}

function common_prompts() {
    if [ -z "$PRIVATE_ADDRESS" ]; then
        prompt_for_private_ip
    fi
    if [ "$HA_CLUSTER" = "1" ] && [ -z "$LOAD_BALANCER_ADDRESS" ] && [ "$EKCO_ENABLE_INTERNAL_LOAD_BALANCER" != "1" ]; then
        if ! prompts_can_prompt ; then
            bail "kubernetes.loadBalancerAddress required"
        fi
        printf "Please enter a load balancer address to route external and internal traffic to the API servers.\n"
        printf "In the absence of a load balancer address, all traffic will be routed to the first master.\n"
        printf "Load balancer address: "
        prompt
        LOAD_BALANCER_ADDRESS="$PROMPT_RESULT"
    fi
}

# move_airgap_assets: the bundle's ./kurl directory becomes the kURL
# installation directory (/var/lib/kurl on a real server).
function move_airgap_assets() {
    if [ -n "$KURL_INSTALL_DIRECTORY_FLAG" ]; then
        if [ ! -d "$KURL_INSTALL_DIRECTORY_FLAG" ]; then
            bail "kURL installation directory $KURL_INSTALL_DIRECTORY_FLAG does not exist."
        fi
        KURL_DIR="$(realpath "$KURL_INSTALL_DIRECTORY_FLAG")/kurl"
    fi
    mkdir -p "$KURL_DIR"
    cp -a "$KURL_INSTALL_DIRECTORY"/. "$KURL_DIR"/
}

# init is kubeadm init (scripts/install.sh:223-231). On a cluster that
# exists already it does what makes kURL re-runs unsafe: every kubeconfig in
# /etc/kubernetes is removed and regenerated, and the API server's
# certificate and key are moved to /tmp to be reissued. /tmp is the one
# beside the sandbox's etc (the real /tmp when the kubeconfig is
# /etc/kubernetes/admin.conf).
function init() {
    local kubedir="$(dirname "$FAKEKURL_KUBECONFIG")"
    local tmp="$(dirname "$(dirname "$kubedir")")/tmp"
    if [ -f "$FAKEKURL_KUBECONFIG" ]; then
        logStep "Regenerating kubeconfigs and API server certificate"
    fi
    rm -rf "$kubedir"/*.conf
    mkdir -p "$tmp"
    if [ -f "$kubedir/pki/apiserver.crt" ]; then
        mv -f "$kubedir/pki/apiserver.crt" "$tmp/"
    fi
    if [ -f "$kubedir/pki/apiserver.key" ]; then
        mv -f "$kubedir/pki/apiserver.key" "$tmp/"
    fi
    mkdir -p "$kubedir/pki" "$FAKEKURL_MANIFESTS_DIR"
    printf 'fake apiserver certificate issued %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$kubedir/pki/apiserver.crt"
    printf 'fake apiserver key\n' > "$kubedir/pki/apiserver.key"
    chmod 0600 "$kubedir/pki/apiserver.key"
    install -m 0440 "$KURL_DIR/assets/admin.conf" "$FAKEKURL_KUBECONFIG"
    cat > "$FAKEKURL_MANIFESTS_DIR/kube-apiserver.yaml" <<MANIFEST
apiVersion: v1
kind: Pod
metadata:
  name: kube-apiserver
  namespace: kube-system
  labels:
    component: kube-apiserver
    tier: control-plane
spec:
  containers:
  - command:
    - kube-apiserver
    - --advertise-address=$PRIVATE_ADDRESS
    - --secure-port=6443
    image: registry.k8s.io/kube-apiserver:$FAKEKURL_KUBERNETES_VERSION
    name: kube-apiserver
  hostNetwork: true
MANIFEST
    logSuccess "Kubernetes Master Initialized"
}

function kotsadm_cli() {
    if installer_has_addon kotsadm && [ -f "$KURL_DIR/addons/kotsadm/kubectl-kots" ]; then
        mkdir -p "$FAKEKURL_BIN_DIR"
        install -m 0755 "$KURL_DIR/addons/kotsadm/kubectl-kots" "$FAKEKURL_BIN_DIR/kubectl-kots"
    fi
}

function register() {
    local args=(-kubeconfig "$FAKEKURL_KUBECONFIG" -private-address "$PRIVATE_ADDRESS"
        -node-name "$(hostname | tr '[:upper:]' '[:lower:]')" -installer-id "$FAKEKURL_INSTALLER_ID"
        -kurl-version "$FAKEKURL_KURL_VERSION" -kubernetes-version "$FAKEKURL_KUBERNETES_VERSION"
        -kurl-install-directory "$(dirname "$KURL_DIR")")
    if [ "$AIRGAP" = "1" ]; then
        args+=(-airgap)
    fi
    if installer_has_addon registry; then
        args+=(-registry)
    fi
    if installer_has_addon kotsadm; then
        args+=(-kotsadm)
    fi
    local out
    out="$("$KURL_DIR/bin/kurl-register" "${args[@]}")"
    KOTSADM_PASSWORD="$(echo "$out" | sed -n 's/^KOTSADM_PASSWORD=//p')"
}

function outro() {
    local mainIP="$PRIVATE_ADDRESS"
    if [ -n "$PUBLIC_ADDRESS" ]; then
        mainIP="$PUBLIC_ADDRESS"
    fi
    printf "\n"
    printf "\t\t${GREEN}Installation${NC}\n"
    printf "\t\t${GREEN}  Complete ✔${NC}\n"
    printf "\n"
    printf "\n"
    if installer_has_addon kotsadm; then
        printf "Kotsadm: ${GREEN}http://$mainIP:${KOTSADM_UI_BIND_PORT:-8800}${NC}\n"
        if [ -n "$KOTSADM_PASSWORD" ]; then
            printf "Login with password (will not be shown again): ${GREEN}$KOTSADM_PASSWORD${NC}\n"
        else
            printf "You can log in with your existing password. If you need to reset it, run ${GREEN}kubectl kots reset-password default${NC}\n"
        fi
        printf "\n"
    fi
    printf "To access the cluster with kubectl:\n"
    printf "\n"
    printf "${GREEN}    bash -l${NC}\n"
    printf "\n"
    printf "To add worker nodes to this installation, copy and unpack this bundle on your other nodes, and run the following:\n"
    printf "\n"
    printf "${GREEN}    cat ./join.sh | sudo bash -s airgap kubernetes-master-address=$PRIVATE_ADDRESS:6443 kubernetes-version=${FAKEKURL_KUBERNETES_VERSION#v}${NC}\n"
    printf "\n"
}

function main() {
    require_root_user
    get_patch_yaml "$@"
    move_airgap_assets
    bailIfUnsupportedOS
    common_prompts
    logStep "Install kubelet, kubectl and cni host packages"
    init
    kotsadm_cli
    register
    outro
}

mkdir -p "$FAKEKURL_LOG_DIR"
LOGFILE="$FAKEKURL_LOG_DIR/install-$(date +"%Y-%m-%dT%H-%M-%S").log"
main "$@" 2>&1 | tee "$LOGFILE"
KURL_EXIT_STATUS=${PIPESTATUS[0]}
# kURL deletes every line that mentions a password from its log.
sed -i "/\b\(password\)\b/d" "$LOGFILE"
exit "$KURL_EXIT_STATUS"
