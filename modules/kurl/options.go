package kurl

import "github.com/ferry-sh/ferry/modules"

// kurlArgs are the module's arguments as a playbook gives them;
// kurlOptionsOf turns them into kurlOptions. The real paths of a kURL
// server are defaults, so that tests can sandbox them. The default
// preflight_ports are the ports kURL's core components bind on a primary
// node (kURL's host preflights and system requirements); the add-ons' own
// ports (Prometheus's 9100, Flannel's 8472/udp) are added when the
// installer spec has them (kurlAddonPorts).
type kurlArgs struct {
	Bundle         string         `opt:"bundle,required" kind:"abspath" doc:"Path on the host of the kURL airgap bundle (.tar.gz), staged there first (e.g. with copy)."`
	Workdir        string         `opt:"workdir,required" kind:"abspath" doc:"Directory on the host to extract the bundle into; the installer runs from it (it finds its assets in ./kurl)."`
	PrivateAddress string         `opt:"private_address" kind:"ipv4" doc:"The host's private IPv4 address, passed as private-address=. Without it, the host's only non-loopback interface is used; with several, it is required, because kURL would otherwise prompt for it and, with no terminal, wait for ever."`
	Flags          map[string]any `opt:"flags" doc:"More kURL install.sh flags, as a mapping: a flag without a value takes true (added) or false (left out), e.g. {host-preflight-ignore: true, public-address: 203.0.113.7, kurl-install-directory: /opt}. Only kURL's flags are accepted (install.sh exits 1 on any other); airgap, yes and private-address are always passed by ferry."`
	Force          bool           `opt:"force" default:"no" doc:"Run the installer even when a kURL cluster is already installed (or partly installed). A kURL re-run is not a no-op: it runs kubeadm init again and regenerates the kubeconfigs and the API server certificate."`
	Timeout        int            `opt:"timeout" default:"3600" kind:"seconds" doc:"Seconds the installer may run before it is stopped (it loads every container image: allow an hour)."`
	Kubeconfig     string         `opt:"kubeconfig" default:"/etc/kubernetes/admin.conf" kind:"abspath" doc:"The admin kubeconfig kURL writes, read (with become) to detect an installed cluster."`
	ManifestsDir   string         `opt:"manifests_dir" default:"/etc/kubernetes/manifests" kind:"abspath" doc:"The static pod manifests directory; kube-apiserver.yaml's image tag gives the installed Kubernetes version."`
	KurlDir        string         `opt:"kurl_dir" default:"/var/lib/kurl" kind:"abspath" doc:"kURL's installation directory, checked for free space (the kurl-install-directory flag overrides it with DIR/kurl)."`
	LogDir         string         `opt:"log_dir" default:"/var/log/kurl" kind:"abspath" doc:"Where kURL writes install-<time>.log; the newest one is reported as log_path."`
	PreflightPorts []string       `opt:"preflight_ports" default:"6443,2379,2380,2381,10248,10249,10250,10257,10259" doc:"Ports that must be free on the host before the install, as \"PORT\" (TCP) or \"PORT/udp\". The default is kURL's core: 6443, 2379-2381, 10248-10250, 10257, 10259; 9100 (Prometheus) and 8472/udp (Flannel) are added when the bundle's installer spec has those add-ons. A taken port fails the preflight (kURL only warns, then kubeadm or the component fails mid-install)."`
	ServiceCIDR    string         `opt:"service_cidr" default:"10.96.0.0/16" kind:"cidr" doc:"Kubernetes service range the host's networks must not overlap (the installer's kubernetes.serviceCidrRange, kURL's default 10.96.0.0/16)."`
	RequireAddons  []string       `opt:"require_addons" default:"registry" doc:"Add-ons the bundle's installer spec (install.sh's INSTALLER_YAML) must have, checked before install.sh runs. registry: an airgapped KOTS install pushes the app's and the Admin Console's images to kURL's registry."`
	OsRelease      string         `opt:"os_release" default:"/etc/os-release" kind:"abspath" doc:"The host's os-release, whose ID and VERSION_ID kURL checks against its supported distributions (kURL stops on any other)."`
	PodCIDR        string         `opt:"pod_cidr" default:"10.32.0.0/20" kind:"cidr" doc:"Pod network range the host's networks must not overlap (the installer's flannel.podCIDR, kURL's default 10.32.0.0/20)."`
}

// OptionChecks are the rules beyond each argument's type and kind, so that
// `ferry validate` reports a bad value before anything runs.
func (kurlArgs) OptionChecks() map[string]func(any) error {
	return map[string]func(any) error{"flags": checkKurlFlags, "preflight_ports": checkKurlPorts}
}

func checkKurlFlags(v any) error {
	m, _ := v.(map[string]any)
	_, _, err := kurlFlagArgs(m)
	return err
}

func checkKurlPorts(v any) error {
	l, _ := v.([]any)
	_, err := parseKurlPorts(modules.ToStrings(l))
	return err
}
