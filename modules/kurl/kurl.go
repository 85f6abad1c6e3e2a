package kurl

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/kube"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-sh/ferry/internal/anylist"
	"github.com/ferry-sh/ferry/internal/shellquote"
	"github.com/ferry-sh/ferry/internal/suggest"
)

func init() { modules.Register(kurlModule{}) }

// kurlModule creates the Kubernetes cluster with kURL's airgap installer:
// it extracts the bundle on the host and runs
//
//	cd WORKDIR && cat install.sh | bash -s airgap private-address=IP yes FLAGS
//
// as root, streaming its output. kURL re-runs are not safe (kubeadm init runs
// again, kubeconfigs and the API server certificate are regenerated), so an
// installed cluster is detected and left alone unless force is set. Before
// installing, and in check mode, it probes the host the way kURL's host
// preflights do, and stops on failures before anything is changed.
type kurlModule struct{}

// kotsadmPort is KOTS's default KOTSADM_UI_BIND_PORT.
const kotsadmPort = "8800"

// kurlFlags are the flags kURL's install.sh accepts: every one of
// get_patch_yaml's (scripts/common/utilbinaries.sh:72-226), with whether it
// takes a value (kurl_util/cmd/bashmerge/main.go reads split[1] for those).
// Any other flag makes install.sh exit 1 with `Error: unknown parameter
// "<x>"`, so ferry refuses it before running. airgap, yes and
// private-address are ferry's own (kurlManagedFlags).
var kurlFlags = map[string]bool{
	"additional-no-proxy-addresses": true, "app-version-label": true, "cert-key": true,
	"container-log-max-files": true, "container-log-max-size": true, "docker-registry-ip": true,
	"ekco-address": true, "ekco-auth-token": true, "installer-spec-file": true, "kubeadm-token": true,
	"kubeadm-token-ca-hash": true, "kubernetes-cluster-name": true, "kubernetes-init-ignore-preflight-errors": true,
	"kubernetes-master-address": true, "kubernetes-max-pods-per-node": true, "kubernetes-upgrade-ignore-preflight-errors": true,
	"kubernetes-version": true, "kurl-install-directory": true, "kurl-registry-ip": true, "labels": true,
	"load-balancer-address": true, "primary-host": true, "public-address": true, "secondary-host": true,
	"storage-migration-ready-timeout": true, "velero-restic-timeout": true, "velero-server-flags": true,

	"auto-upgrades-enabled": false, "aws-exclude-storage-class": false, "control-plane": false,
	"dismiss-host-packages-preflight": false, "ekco-enable-internal-load-balancer": false,
	"exclude-builtin-host-preflights": false, "exclude-builtin-preflights": false, "force-reapply-addons": false,
	"ha": false, "host-preflight-enforce-warnings": false, "host-preflight-ignore": false,
	"ignore-remote-load-images-prompt": false, "ignore-remote-upgrade-prompt": false, "ipv6": false,
	"kubernetes-cis-compliance": false, "kubernetes-load-balancer-use-first-primary": false,
	"preflight-ignore": false, "preflight-ignore-warnings": false, "preserve-docker-config": false,
	"preserve-firewalld-config": false, "preserve-iptables-config": false, "preserve-selinux-config": false,
	"skip-system-package-install": false,
}

// kurlManagedFlags are always passed by ferry; flags may not set them.
var kurlManagedFlags = map[string]string{
	"airgap":          "ferry always passes airgap",
	"yes":             "ferry always passes yes, so that no prompt waits for an answer",
	"private-address": "set the private_address argument instead",
}

func (kurlModule) Spec() modules.Spec {
	return modules.Spec{
		Name:    "kurl",
		Summary: "Create the Kubernetes cluster with kURL's airgap installer (idempotent; host preflights in check mode)",
		Args:    modules.OptionsOf[kurlArgs](),
		Check:   modules.CheckSupported,
	}
}

// kurlOptions are the module's arguments, checked and normalised.
type kurlOptions struct {
	bundle, workdir          string
	privateAddr              string
	flags                    []string          // rendered, sorted by name
	flagValues               map[string]string // name -> value ("" for bare flags given true)
	force                    bool
	timeout                  time.Duration
	kubeconfig, manifestsDir string
	kurlDir, logDir          string
	ports                    []kurlPort
	serviceCIDR, podCIDR     netip.Prefix
	requireAddons            []string
	osRelease                string
}

// kurlPort is one port that must be free.
type kurlPort struct {
	proto string // tcp or udp
	port  int
}

func (p kurlPort) String() string { return fmt.Sprintf("%d/%s", p.port, p.proto) }

// kurlOptionsOf normalises the decoded arguments (their kinds and checks
// ran when they were bound): flags rendered, ports parsed, the ranges
// masked, and kurl_dir moved under kurl-install-directory.
func kurlOptionsOf(a kurlArgs) (kurlOptions, error) {
	o := kurlOptions{
		bundle: a.Bundle, workdir: a.Workdir, privateAddr: strings.TrimSpace(a.PrivateAddress),
		force: a.Force, timeout: time.Duration(a.Timeout) * time.Second,
		kubeconfig: a.Kubeconfig, manifestsDir: a.ManifestsDir, kurlDir: a.KurlDir, logDir: a.LogDir,
		requireAddons: a.RequireAddons, osRelease: a.OsRelease,
	}
	var errs [4]error
	o.flags, o.flagValues, errs[0] = kurlFlagArgs(a.Flags)
	if dir, ok := o.flagValues["kurl-install-directory"]; ok {
		o.kurlDir = strings.TrimSuffix(dir, "/") + "/kurl"
	}
	o.ports, errs[1] = parseKurlPorts(a.PreflightPorts)
	o.serviceCIDR, errs[2] = netip.ParsePrefix(strings.TrimSpace(a.ServiceCIDR))
	o.podCIDR, errs[3] = netip.ParsePrefix(strings.TrimSpace(a.PodCIDR))
	o.serviceCIDR, o.podCIDR = o.serviceCIDR.Masked(), o.podCIDR.Masked()
	return o, errors.Join(errs[:]...)
}

// kurlFlagArgs checks flags against kURL's table and renders them as
// install.sh arguments, sorted so the command line is stable.
func kurlFlagArgs(flags map[string]any) ([]string, map[string]string, error) {
	names := make([]string, 0, len(kurlFlags))
	for n := range kurlFlags {
		names = append(names, n)
	}
	var problems []error
	var out []string
	values := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(flags)) {
		v := flags[name]
		if why, managed := kurlManagedFlags[name]; managed {
			problems = append(problems, fmt.Errorf("flags: %s is not allowed: %s", name, why))
			continue
		}
		takesValue, known := kurlFlags[name]
		if !known {
			msg := fmt.Sprintf("flags: kURL has no flag %q (install.sh would stop with: Error: unknown parameter %q)", name, name)
			if hint := suggest.Hint(name, names); hint != "" {
				msg += "; " + hint
			}
			problems = append(problems, errors.New(msg))
			continue
		}
		arg, err := renderKurlFlag(name, v, takesValue)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		if arg != "" {
			out = append(out, arg)
			_, value, _ := strings.Cut(arg, "=")
			values[name] = value
		}
	}
	return out, values, errors.Join(problems...)
}

func renderKurlFlag(name string, v any, takesValue bool) (string, error) {
	if !takesValue {
		on, err := modules.ToBool(v)
		if err != nil {
			return "", fmt.Errorf("flags: %s takes no value; set it to true or false (%v)", name, err)
		}
		if on {
			return name, nil
		}
		return "", nil
	}
	var value string
	switch x := v.(type) {
	case string:
		value = x
	case int, int64, float64:
		value = fmt.Sprint(x)
	default:
		return "", fmt.Errorf("flags: %s needs a value (%s=VALUE), got %s", name, name, modules.TypeName(v))
	}
	if strings.TrimSpace(value) == "" {
		return "", fmt.Errorf("flags: %s needs a value (%s=VALUE)", name, name)
	}
	if strings.ContainsAny(value, "\n\r") {
		return "", fmt.Errorf("flags: the value of %s has a line break", name)
	}
	return name + "=" + value, nil
}

func parseKurlPorts(specs []string) ([]kurlPort, error) {
	var out []kurlPort
	var problems []error
	for _, s := range specs {
		num, proto, hasProto := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "/")
		if !hasProto {
			proto = "tcp"
		}
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 || n > 65535 || (proto != "tcp" && proto != "udp") {
			problems = append(problems, fmt.Errorf("preflight_ports entry %q is not PORT or PORT/udp (1-65535)", s))
			continue
		}
		out = append(out, kurlPort{proto: proto, port: n})
	}
	return out, errors.Join(problems...)
}

func (o kurlOptions) hasFlag(names ...string) bool {
	for _, n := range names {
		if _, ok := o.flagValues[n]; ok {
			return true
		}
	}
	return false
}

// installArgs are install.sh's arguments: the three ferry always passes,
// then the user's flags.
func (o kurlOptions) installArgs(addr string) []string {
	return append([]string{"airgap", "private-address=" + addr, "yes"}, o.flags...)
}

func (o kurlOptions) installScript(addr string) string {
	return fmt.Sprintf("cd %s && cat install.sh | bash -s %s", shellquote.Quote(o.workdir), shellquote.Join(o.installArgs(addr)))
}

// kotsadmURL is where kURL's outro says the Admin Console is.
func (o kurlOptions) kotsadmURL(addr string) string {
	if pub := o.flagValues["public-address"]; pub != "" {
		addr = pub
	}
	return "http://" + addr + ":" + kotsadmPort
}

func (kurlModule) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	a, err := modules.Decode[kurlArgs](args)
	if err != nil {
		return modules.Result{}, err
	}
	o, err := kurlOptionsOf(a)
	if err != nil {
		return modules.Result{}, err
	}
	state, err := detectKurlCluster(ctx, h, o)
	if err != nil {
		return modules.Result{}, err
	}
	if state.installed && !o.force {
		return kurlInstalledResult(ctx, h, o, state), nil
	}
	if state.problem != "" && !o.force {
		return modules.Result{}, fmt.Errorf("found a kURL cluster on %s that is not complete: %s. ferry does not re-run the installer by itself, because a kURL re-run regenerates the kubeconfigs and certificates; repair the cluster, or set force: true to run install.sh again",
			modules.HostLabel(h), state.problem)
	}
	return kurlInstall(ctx, h, o, state)
}

func kurlInstall(ctx context.Context, h *modules.Host, o kurlOptions, before kurlCluster) (modules.Result, error) {
	facts, err := probeKurlHost(ctx, h, o)
	if err != nil {
		return modules.Result{}, err
	}
	spec, err := readKurlSpec(ctx, h, o)
	if err != nil {
		return modules.Result{}, err
	}
	o.ports = spec.addonPorts(o.ports)
	addr, checks := kurlPreflights(facts, o)
	checks = append(checks, kurlAddonChecks(spec, o.requireAddons)...)
	data := map[string]any{
		"private_address": addr, "kubeconfig_path": o.kubeconfig, "preflights": preflightData(checks),
		"kubernetes_version": before.k8sVersion, "kurl_version": before.kurlVersion, "installer_id": before.installerID,
		"kotsadm_url": "", "log_path": "",
	}
	if msg := blockingPreflights(checks, o); msg != "" {
		return modules.Result{Failed: true, Msg: msg, Data: data}, nil
	}
	bundleThere, err := modules.PathExists(ctx, h, o.bundle)
	if err != nil {
		return modules.Result{}, fmt.Errorf("checking the bundle %s on %s: %w", o.bundle, modules.HostLabel(h), err)
	}
	what := fmt.Sprintf("install kURL (airgap, private-address=%s)", addr)
	if before.installed || before.problem != "" {
		what = fmt.Sprintf("re-run the kURL installer (force: true, airgap, private-address=%s)", addr)
	}
	if err := extractKurlBundle(ctx, h, o, bundleThere); err != nil {
		return modules.Result{}, err
	}
	var run kurlRun
	ran := false
	if err := h.Change(what+": "+o.installScript(addr), func(w modules.Writer) error {
		run, err = runKurlInstaller(ctx, h, w, o, addr)
		ran = true
		return err
	}); err != nil {
		return modules.Result{}, err
	}
	if !ran { // check mode: the gate planned it
		msg := "would " + what
		if !bundleThere {
			msg += fmt.Sprintf(" (the bundle %s is not on the host yet)", o.bundle)
		}
		return modules.Result{Msg: msg, Data: data}, nil
	}
	return kurlRunResult(ctx, h, o, addr, run, data)
}

// extractKurlBundle unpacks the bundle into the workdir. A bundle not staged
// yet is planned in check mode (an earlier task of the dry run stages it)
// and refused in a real run, before anything ran.
func extractKurlBundle(ctx context.Context, h *modules.Host, o kurlOptions, bundleThere bool) error {
	what := "extract " + o.bundle + " into " + o.workdir
	if !bundleThere {
		return h.Plan(what, fmt.Errorf("the kURL bundle %s is not on %s; stage it first (e.g. with copy)", o.bundle, modules.HostLabel(h)))
	}
	return h.Change(what, func(w modules.Writer) error {
		_, err := modules.WriteScript(ctx, w, fmt.Sprintf("%s\ntar xzf %s -C %s && test -f %s", modules.OwnDirScript(o.workdir),
			shellquote.Quote(o.bundle), shellquote.Quote(o.workdir), shellquote.Quote(strings.TrimSuffix(o.workdir, "/")+"/install.sh")))
		return err
	})
}

// kurlRunResult reports a finished installer run, after checking that it
// left a complete cluster.
func kurlRunResult(ctx context.Context, h *modules.Host, o kurlOptions, addr string, run kurlRun, data map[string]any) (modules.Result, error) {
	data["log_path"] = newestKurlLog(ctx, h, o)
	data["output_tail"] = anylist.Of(run.tail)
	if run.password != "" {
		data["kotsadm_password"] = run.password
	}
	data["kotsadm_url"] = cmp.Or(run.kotsadmURL, o.kotsadmURL(addr))
	if run.timedOut {
		return modules.Result{Failed: true, Data: data, Msg: fmt.Sprintf("the kURL installer did not finish within %s and was stopped (raise timeout); last output: %s",
			o.timeout, lastLine(run.tail))}, nil
	}
	if run.rc != 0 {
		data["rc"] = run.rc
		return modules.Result{Failed: true, Data: data, Msg: fmt.Sprintf("the kURL installer exited with status %d: %s (full log on the host: %s)",
			run.rc, lastLine(run.tail), data["log_path"])}, nil
	}
	after, err := detectKurlCluster(ctx, h, o)
	if err != nil {
		return modules.Result{}, err
	}
	if !after.installed {
		return modules.Result{Failed: true, Data: data, Msg: "the kURL installer finished but the cluster is not complete: " + after.problem}, nil
	}
	data["kubernetes_version"], data["kurl_version"], data["installer_id"] = after.k8sVersion, after.kurlVersion, after.installerID
	return modules.Result{Data: data, Msg: fmt.Sprintf("installed kURL (k8s %s, kurl %s) with private-address=%s", after.k8sVersion, after.kurlVersion, addr)}, nil
}

func kurlInstalledResult(ctx context.Context, h *modules.Host, o kurlOptions, state kurlCluster) modules.Result {
	return modules.Result{
		Msg: fmt.Sprintf("already installed (k8s %s, kurl %s)", state.k8sVersion, cmp.Or(state.kurlVersion, "unknown")),
		Data: map[string]any{
			"kubernetes_version": state.k8sVersion, "kurl_version": state.kurlVersion, "installer_id": state.installerID,
			"private_address": state.nodeAddress, "kubeconfig_path": o.kubeconfig,
			"kotsadm_url": o.kotsadmURL(state.nodeAddress), "log_path": newestKurlLog(ctx, h, o),
			"preflights": []any{},
		},
	}
}

func newestKurlLog(ctx context.Context, h *modules.Host, o kurlOptions) string {
	out, err := h.Query(ctx, modules.Command{Become: h.Become,
		Shell: "ls -1t -- " + shellquote.Quote(strings.TrimSuffix(o.logDir, "/")) + "/install-*.log 2>/dev/null | head -n 1"})
	if err != nil {
		return ""
	}
	return strings.TrimSpace(out.Stdout)
}

func lastLine(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		if s := strings.TrimSpace(lines[i]); s != "" {
			return s
		}
	}
	return "no output"
}

// kurlCluster is what detection found on the host.
type kurlCluster struct {
	installed   bool
	problem     string // why an existing cluster does not count as installed
	k8sVersion  string
	kurlVersion string
	installerID string
	nodeAddress string
}

// apiserverVersion is kURL's discover_local_kubernetes_version: the version
// in the kube-apiserver manifest's image line.
var apiserverVersion = regexp.MustCompile(`(?m)^[\s-]*image:\s*\S*?:v?([0-9]+\.[0-9]+\.[0-9]+)`)

// detectKurlCluster applies kURL's idempotency checks: admin.conf exists,
// the kube-apiserver manifest names a version, kube-system/kurl-config says
// airgap=1, and the node is Ready. No admin.conf means no cluster; an
// admin.conf with any other check failing is a cluster with a problem.
func detectKurlCluster(ctx context.Context, h *modules.Host, o kurlOptions) (kurlCluster, error) {
	exists, err := modules.PathExists(ctx, h, o.kubeconfig)
	if err != nil {
		return kurlCluster{}, fmt.Errorf("checking %s on %s: %w", o.kubeconfig, modules.HostLabel(h), err)
	}
	if !exists {
		return kurlCluster{}, nil
	}
	var c kurlCluster
	manifest := strings.TrimSuffix(o.manifestsDir, "/") + "/kube-apiserver.yaml"
	text, err := modules.ReadFile(ctx, h, manifest, 1<<20)
	if m := apiserverVersion.FindSubmatch(text); err == nil && m != nil {
		c.k8sVersion = "v" + string(m[1])
	} else {
		c.problem = fmt.Sprintf("%s exists but %s names no kube-apiserver version", o.kubeconfig, manifest)
		return c, nil
	}
	k, err := kube.For(ctx, h, o.kubeconfig)
	if err != nil {
		c.problem = fmt.Sprintf("%s exists but the cluster cannot be reached with it: %v", o.kubeconfig, err)
		return c, nil
	}
	c.problem = readKurlConfig(ctx, k, &c)
	if c.problem == "" {
		c.problem = findReadyNode(ctx, k, o.privateAddr, &c)
	}
	c.installed = c.problem == ""
	return c, nil
}

func readKurlConfig(ctx context.Context, k *kube.Client, c *kurlCluster) string {
	cm := &corev1.ConfigMap{}
	err := k.Get(ctx, kube.ConfigMaps, "kube-system", "kurl-config", cm)
	if apierrors.IsNotFound(err) {
		return "ConfigMap kube-system/kurl-config does not exist (kURL writes it at the end of a successful install)"
	}
	if err != nil {
		return fmt.Sprintf("reading ConfigMap kube-system/kurl-config: %v", err)
	}
	if cm.Data["airgap"] != "1" {
		return fmt.Sprintf("ConfigMap kube-system/kurl-config has airgap=%q: the cluster was not installed with the airgap installer", cm.Data["airgap"])
	}
	c.installerID = cm.Data["installer_id"]
	current := &corev1.ConfigMap{}
	if err := k.Get(ctx, kube.ConfigMaps, "kurl", "kurl-current-config", current); err == nil {
		c.kurlVersion = current.Data["kurl-version"]
	}
	return ""
}

// findReadyNode looks for this host's node: the one whose InternalIP is the
// private address, or with no private address given, any node.
func findReadyNode(ctx context.Context, k *kube.Client, addr string, c *kurlCluster) string {
	nodes := &corev1.NodeList{}
	if err := k.List(ctx, kube.Nodes, "", metav1.ListOptions{}, nodes); err != nil {
		return fmt.Sprintf("listing nodes: %v", err)
	}
	var seen []string
	for _, n := range nodes.Items {
		internal := ""
		for _, a := range n.Status.Addresses {
			if a.Type == "InternalIP" {
				internal = a.Address
			}
		}
		if addr != "" && internal != addr {
			seen = append(seen, n.Name+" ("+internal+")")
			continue
		}
		for _, cond := range n.Status.Conditions {
			if cond.Type == "Ready" && cond.Status == "True" {
				c.nodeAddress = internal
				return ""
			}
		}
		return fmt.Sprintf("node %s is not Ready", n.Name)
	}
	if addr != "" {
		return fmt.Sprintf("no node has InternalIP %s (nodes: %s)", addr, strings.Join(append(seen, "none")[:max(len(seen), 1)], ", "))
	}
	return "the cluster has no nodes"
}

// Host probes: read-only, POSIX sh, and tolerant of missing tools (a
// Debian host has no getenforce; a container has no systemd).

// kurlDiskRule is a directory kURL needs space in.
type kurlDiskRule struct {
	dir string
	// kubeletRule applies kURL's /var/lib/kubelet analyzer: fail under
	// 30Gi total or over 80% used, warn over 60% used or under 10Gi free.
	kubeletRule bool
	minFree     int64  // warn below this many bytes free
	minTotal    int64  // warn below this many bytes in total
	need        string // the requirement as kURL's docs state it
}

const (
	gib = int64(1) << 30
	gb  = int64(1000 * 1000 * 1000)
)

func kurlDiskRules(o kurlOptions) []kurlDiskRule {
	return []kurlDiskRule{
		{dir: "/var/lib/kubelet", kubeletRule: true},
		{dir: "/var/lib/containerd", kubeletRule: true},
		{dir: "/var/lib/etcd", minFree: 2 * gb, need: "2 GB"},
		{dir: "/var/log/apiserver", minFree: 1 * gb, need: "1 GB"},
		{dir: o.kurlDir, minFree: 10 * gb, need: "10 GB"},
		{dir: "/", minTotal: 100 * gb, need: "100 GB"},
	}
}

func kurlProbeScript(o kurlOptions) string {
	var dirs []string
	for _, r := range kurlDiskRules(o) {
		dirs = append(dirs, shellquote.Quote(r.dir))
	}
	parent := ""
	if dir, ok := o.flagValues["kurl-install-directory"]; ok {
		parent = fmt.Sprintf("if [ -d %[1]s ]; then echo 'installdir=yes'; else echo 'installdir=no'; fi\n", shellquote.Quote(dir))
	}
	return `echo "uid=$(id -u)"
echo "arch=$(uname -m)"
echo "cpus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null)"
awk '/^MemTotal:/ {print "memtotal_kb=" $2} /^SwapTotal:/ {print "swaptotal_kb=" $2}' /proc/meminfo
if command -v getenforce >/dev/null 2>&1; then echo "selinux=$(getenforce 2>/dev/null)"
elif [ -r /sys/fs/selinux/enforce ]; then if [ "$(cat /sys/fs/selinux/enforce)" = 1 ]; then echo selinux=Enforcing; else echo selinux=Permissive; fi
else echo selinux=absent; fi
if command -v firewall-cmd >/dev/null 2>&1; then echo "firewalld=$(firewall-cmd --state 2>&1 | head -n 1)"; else echo firewalld=absent; fi
if command -v ip >/dev/null 2>&1; then ip -4 -o addr show | awk '{print "addr=" $2 " " $4}'; ip -4 route show | awk '$1 ~ /^[0-9]/ {dev = "-"; for (i = 2; i < NF; i++) if ($i == "dev") dev = $(i+1); print "route=" $1 " " dev}'; else echo ip=missing; fi
if command -v ss >/dev/null 2>&1; then ss -ltnu | awk 'NR>1 {print "listen=" $1 " " $5}'; else echo ss=missing; fi
for d in ` + strings.Join(dirs, " ") + `; do p=$d; while [ ! -e "$p" ]; do p=$(dirname "$p"); done
  df -P -B1 "$p" 2>/dev/null | awk -v d="$d" 'NR==2 {print "disk=" $2 " " $3 " " $4 " " d}'; done
[ -r /etc/resolv.conf ] && awk '$1 == "nameserver" {print "nameserver=" $2}' /etc/resolv.conf
if [ -r ` + shellquote.Quote(o.osRelease) + ` ]; then (. ` + shellquote.Quote(o.osRelease) + ` && echo "os_id=$ID" && echo "os_version=$VERSION_ID"); fi
` + parent
}

// kurlHost is what the probes found.
type kurlHost struct {
	uid                int
	arch               string
	cpus               int
	memKB, swapKB      int64
	selinux, firewalld string
	ipMissing          bool
	ifaces             []kurlIface
	routes             []kurlIface // destination prefix and device
	ssMissing          bool
	listening          []kurlListen
	disks              map[string]kurlDisk
	nameservers        []string
	installDirMissing  bool
	osID, osVersion    string
}

type kurlIface struct {
	name   string
	prefix netip.Prefix
}

type kurlListen struct {
	proto string // tcp or udp
	local string // address:port as ss prints it
	port  int
}

type kurlDisk struct{ total, used, avail int64 }

func probeKurlHost(ctx context.Context, h *modules.Host, o kurlOptions) (kurlHost, error) {
	out, err := h.Query(ctx, modules.Command{Shell: kurlProbeScript(o), Become: h.Become})
	if err != nil {
		return kurlHost{}, fmt.Errorf("probing %s for kURL's host preflights: %w", modules.HostLabel(h), err)
	}
	if out.RC != 0 && !strings.Contains(out.Stdout, "uid=") {
		return kurlHost{}, fmt.Errorf("probing %s for kURL's host preflights failed (rc %d): %s", modules.HostLabel(h), out.RC, modules.FirstLine(out.Stderr))
	}
	return parseKurlProbes(out.Stdout), nil
}

func parseKurlProbes(text string) kurlHost {
	f := kurlHost{uid: -1, disks: map[string]kurlDisk{}}
	for _, line := range strings.Split(text, "\n") {
		key, value, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			continue
		}
		fields := strings.Fields(value)
		switch key {
		case "uid":
			if n, err := strconv.Atoi(value); err == nil {
				f.uid = n
			}
		case "arch":
			f.arch = value
		case "cpus":
			f.cpus, _ = strconv.Atoi(value)
		case "memtotal_kb":
			f.memKB, _ = strconv.ParseInt(value, 10, 64)
		case "swaptotal_kb":
			f.swapKB, _ = strconv.ParseInt(value, 10, 64)
		case "selinux":
			f.selinux = value
		case "firewalld":
			f.firewalld = value
		case "ip":
			f.ipMissing = true
		case "ss":
			f.ssMissing = true
		case "addr": // NAME ADDRESS/PREFIX
			if iface, ok := parseKurlIface(field(fields, 0), field(fields, 1)); ok {
				f.ifaces = append(f.ifaces, iface)
			}
		case "route": // DESTINATION DEVICE
			if route, ok := parseKurlIface(field(fields, 1), field(fields, 0)); ok {
				f.routes = append(f.routes, route)
			}
		case "listen":
			if l, ok := parseKurlListen(fields); ok {
				f.listening = append(f.listening, l)
			}
		case "disk":
			if len(fields) >= 4 {
				var d kurlDisk
				d.total, _ = strconv.ParseInt(fields[0], 10, 64)
				d.used, _ = strconv.ParseInt(fields[1], 10, 64)
				d.avail, _ = strconv.ParseInt(fields[2], 10, 64)
				f.disks[strings.Join(fields[3:], " ")] = d
			}
		case "nameserver":
			f.nameservers = append(f.nameservers, value)
		case "installdir":
			f.installDirMissing = value == "no"
		case "os_id":
			f.osID = value
		case "os_version":
			f.osVersion = value
		}
	}
	return f
}

// parseKurlIface reads an interface name and an address or route
// destination ("192.0.2.2/24", or "10.0.0.5" for a host route).
func parseKurlIface(name, cidr string) (kurlIface, bool) {
	if !strings.Contains(cidr, "/") {
		cidr += "/32"
	}
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is4() {
		return kurlIface{}, false
	}
	return kurlIface{name: name, prefix: p}, true
}

func field(fields []string, i int) string {
	if i < len(fields) {
		return fields[i]
	}
	return ""
}

// parseKurlListen reads "tcp 127.0.0.1:10250", "udp *:8472", "tcp [::]:22",
// "udp 127.0.0.53%lo:53".
func parseKurlListen(fields []string) (kurlListen, bool) {
	if len(fields) < 2 {
		return kurlListen{}, false
	}
	i := strings.LastIndexByte(fields[1], ':')
	if i < 0 {
		return kurlListen{}, false
	}
	port, err := strconv.Atoi(fields[1][i+1:])
	if err != nil {
		return kurlListen{}, false
	}
	return kurlListen{proto: strings.ToLower(fields[0]), local: fields[1], port: port}, true
}

// kurlCheck is one preflight's outcome.
type kurlCheck struct {
	name, status, message string
	// hard checks block even with host-preflight-ignore: they are ferry's
	// own conditions for running the installer at all.
	hard bool
}

func preflightData(checks []kurlCheck) []any {
	out := make([]any, len(checks))
	for i, c := range checks {
		out[i] = map[string]any{"name": c.name, "status": c.status, "message": c.message}
	}
	return out
}

// kurlIgnoredInterfaces are the interfaces kURL's prompt_for_private_ip
// does not count.
var kurlIgnoredInterfaces = map[string]bool{"lo": true, "kube-ipvs0": true, "docker0": true, "weave": true,
	"antrea-gw0": true, "flannel.1": true, "cni0": true}

// kurlPreflights judges the probes and picks the private address.
func kurlPreflights(f kurlHost, o kurlOptions) (string, []kurlCheck) {
	addr, addrChecks := kurlAddressChecks(f, o)
	checks := []kurlCheck{kurlRootCheck(f)}
	checks = append(checks, addrChecks...)
	checks = append(checks, kurlOSCheck(f))
	checks = append(checks, kurlSystemChecks(f)...)
	checks = append(checks, kurlDiskChecks(f, o)...)
	checks = append(checks, kurlPortChecks(f, o)...)
	checks = append(checks, kurlHostConfigChecks(f, o)...)
	checks = append(checks, kurlOverlapChecks(f, o)...)
	if o.hasFlag("kurl-install-directory") {
		c := kurlCheck{name: "kURL installation directory", status: "pass", message: o.flagValues["kurl-install-directory"] + " exists"}
		if f.installDirMissing {
			c.status, c.message = "fail", fmt.Sprintf("kURL installation directory %s does not exist (kurl-install-directory needs an existing parent)", o.flagValues["kurl-install-directory"])
		}
		checks = append(checks, c)
	}
	return addr, checks
}

func kurlRootCheck(f kurlHost) kurlCheck {
	if f.uid == 0 {
		return kurlCheck{name: "Root user", status: "pass", message: "the installer runs as root", hard: true}
	}
	return kurlCheck{name: "Root user", status: "fail", hard: true,
		message: fmt.Sprintf("the installer must run as root (uid %d here; kURL stops with: Error: this installer needs to be run as root.); set become: true on the task", f.uid)}
}

func kurlAddressChecks(f kurlHost, o kurlOptions) (string, []kurlCheck) {
	if f.ipMissing {
		c := kurlCheck{name: "Network interfaces", status: "warn", message: "cannot list interfaces: `ip` is not installed (iproute2)"}
		if o.privateAddr == "" {
			c.status, c.hard, c.message = "fail", true, c.message+"; set private_address"
		}
		return o.privateAddr, []kurlCheck{c}
	}
	var candidates []kurlIface
	for _, i := range f.ifaces {
		if !kurlIgnoredInterfaces[i.name] {
			candidates = append(candidates, i)
		}
	}
	var list []string
	for _, i := range candidates {
		list = append(list, i.name+" "+i.prefix.Addr().String())
	}
	nics := kurlCheck{name: "Network interfaces", status: "pass", message: fmt.Sprintf("%d non-loopback interface(s): %s", len(candidates), strings.Join(list, ", "))}
	if len(candidates) == 0 {
		nics.status, nics.hard, nics.message = "fail", true, "no non-loopback IPv4 interface: Kubernetes needs a static IP on a real interface"
		return o.privateAddr, []kurlCheck{nics}
	}
	addr := o.privateAddr
	private := kurlCheck{name: "Private address", status: "pass", hard: true}
	switch {
	case addr == "" && len(candidates) == 1:
		addr = candidates[0].prefix.Addr().String()
		private.message = fmt.Sprintf("private-address=%s (the only interface, %s)", addr, candidates[0].name)
	case addr == "":
		private.status = "fail"
		private.message = fmt.Sprintf("the host has %d interfaces (%s): set private_address to one of them; without private-address kURL prompts for it and, with no terminal, waits for ever",
			len(candidates), strings.Join(list, ", "))
	case !hasKurlAddress(f.ifaces, addr):
		private.status = "fail"
		private.message = fmt.Sprintf("private_address %s is not an address of this host (its interfaces: %s)", addr, strings.Join(list, ", "))
	default:
		private.message = fmt.Sprintf("private-address=%s is an address of this host", addr)
	}
	return addr, []kurlCheck{nics, private}
}

func hasKurlAddress(ifaces []kurlIface, addr string) bool {
	for _, i := range ifaces {
		if i.prefix.Addr().String() == addr {
			return true
		}
	}
	return false
}

func kurlSystemChecks(f kurlHost) []kurlCheck {
	arch := kurlCheck{name: "Architecture", status: "pass", message: "64-bit x86 (" + f.arch + ")"}
	if f.arch != "x86_64" && f.arch != "amd64" {
		arch.status, arch.message = "warn", fmt.Sprintf("the host is %q; kURL airgap bundles are built for 64-bit x86 (amd64)", f.arch)
	}
	cpu := kurlCheck{name: "Number of CPUs", status: "pass", message: "This server has at least 4 CPU cores"}
	switch {
	case f.cpus < 2:
		cpu.status, cpu.message = "fail", fmt.Sprintf("At least 2 CPU cores are required, and 4 CPU cores are recommended (found %d)", f.cpus)
	case f.cpus < 4:
		cpu.status, cpu.message = "warn", fmt.Sprintf("At least 4 CPU cores are recommended (found %d)", f.cpus)
	}
	mem := f.memKB * 1024
	memory := kurlCheck{name: "Amount of Memory", status: "pass", message: "The system has at least 8G of memory"}
	switch {
	case mem < 4_000_000_000:
		memory.status, memory.message = "fail", fmt.Sprintf("At least 4G of memory is required, and 8G of memory is recommended (found %s)", modules.HumanBytes(mem))
	case mem < 8_000_000_000:
		memory.status, memory.message = "warn", fmt.Sprintf("At least 8G of memory is recommended (found %s)", modules.HumanBytes(mem))
	}
	return []kurlCheck{arch, cpu, memory}
}

func kurlDiskChecks(f kurlHost, o kurlOptions) []kurlCheck {
	var checks []kurlCheck
	for _, r := range kurlDiskRules(o) {
		c := kurlCheck{name: "Disk space " + r.dir, status: "pass"}
		d, ok := f.disks[r.dir]
		if !ok || d.total <= 0 {
			c.status, c.message = "warn", "could not measure the disk holding "+r.dir
			checks = append(checks, c)
			continue
		}
		c.message = fmt.Sprintf("the disk containing %s has %s free of %s", r.dir, modules.HumanBytes(d.avail), modules.HumanBytes(d.total))
		usedPct := float64(d.used) * 100 / float64(d.total)
		switch {
		case r.kubeletRule && d.total < 30*gib:
			c.status, c.message = "fail", fmt.Sprintf("The disk containing directory %s has less than 30Gi of total space (%s)", r.dir, modules.HumanBytes(d.total))
		case r.kubeletRule && usedPct > 80:
			c.status, c.message = "fail", fmt.Sprintf("The disk containing directory %s is more than 80%% full (%.0f%%)", r.dir, usedPct)
		case r.kubeletRule && usedPct > 60:
			c.status, c.message = "warn", fmt.Sprintf("The disk containing directory %s is more than 60%% full (%.0f%%)", r.dir, usedPct)
		case r.kubeletRule && d.avail < 10*gib:
			c.status, c.message = "warn", fmt.Sprintf("The disk containing directory %s has less than 10Gi of disk space available (%s)", r.dir, modules.HumanBytes(d.avail))
		case d.avail < r.minFree:
			c.status, c.message = "warn", fmt.Sprintf("the disk containing %s has %s free; kURL recommends %s", r.dir, modules.HumanBytes(d.avail), r.need)
		case d.total < r.minTotal:
			c.status, c.message = "warn", fmt.Sprintf("the root disk has %s in total; kURL needs at least %s (256 GB recommended)", modules.HumanBytes(d.total), r.need)
		}
		checks = append(checks, c)
	}
	return checks
}

func kurlPortChecks(f kurlHost, o kurlOptions) []kurlCheck {
	if f.ssMissing {
		return []kurlCheck{{name: "Ports", status: "warn", message: "cannot check that kURL's ports are free: `ss` is not installed (iproute2)"}}
	}
	var checks []kurlCheck
	for _, p := range o.ports {
		c := kurlCheck{name: "Port " + p.String(), status: "pass", message: fmt.Sprintf("port %s is free", p)}
		var users []string
		for _, l := range f.listening {
			if l.port == p.port && l.proto == p.proto {
				users = append(users, l.local)
			}
		}
		if len(users) > 0 {
			c.status = "fail"
			c.message = fmt.Sprintf("port %s is in use (listening on %s): the Kubernetes component that needs it could not start; stop what listens there (`ss -ltnup` names it)",
				p, strings.Join(users, ", "))
		}
		checks = append(checks, c)
	}
	return checks
}

func kurlHostConfigChecks(f kurlHost, o kurlOptions) []kurlCheck {
	swap := kurlCheck{name: "Swap", status: "pass", message: "swap is off"}
	if f.swapKB > 0 {
		swap.status, swap.message = "warn", fmt.Sprintf("swap is on (%s); kURL turns it off and comments it out of /etc/fstab", modules.HumanBytes(f.swapKB*1024))
	}
	selinux := kurlCheck{name: "SELinux", status: "pass", message: "SELinux is " + strings.ToLower(f.selinux)}
	switch {
	case f.selinux == "absent" || f.selinux == "":
		selinux.message = "SELinux is not installed (no getenforce, no /sys/fs/selinux)"
	case strings.EqualFold(f.selinux, "Enforcing") && o.hasFlag("preserve-selinux-config"):
		selinux.status, selinux.message = "warn", "SELinux is enforcing and preserve-selinux-config keeps it so; kURL's containers may be denied"
	case strings.EqualFold(f.selinux, "Enforcing"):
		selinux.status, selinux.message = "warn", "SELinux is enforcing; kURL sets it to permissive"
	}
	firewalld := kurlCheck{name: "firewalld", status: "pass", message: "firewalld is " + f.firewalld}
	switch {
	case f.firewalld == "absent" || f.firewalld == "":
		firewalld.message = "firewalld is not installed"
	case f.firewalld == "running" && o.hasFlag("preserve-firewalld-config"):
		firewalld.status, firewalld.message = "warn", "firewalld is running and preserve-firewalld-config keeps it so: open the Kubernetes ports yourself"
	case f.firewalld == "running":
		firewalld.status, firewalld.message = "warn", "firewalld is running; kURL stops and disables it"
	}
	dns := kurlCheck{name: "Nameserver", status: "warn", message: "no non-loopback nameserver in /etc/resolv.conf"}
	for _, ns := range f.nameservers {
		if a, err := netip.ParseAddr(ns); err == nil && !a.IsLoopback() {
			dns.status, dns.message = "pass", "nameserver "+ns
			break
		}
	}
	return []kurlCheck{swap, selinux, firewalld, dns}
}

// kurlOverlapChecks: a host network inside the service or pod range makes
// pods and services unreachable after the install.
func kurlOverlapChecks(f kurlHost, o kurlOptions) []kurlCheck {
	c := kurlCheck{name: "Subnet overlap", status: "pass",
		message: fmt.Sprintf("no host network overlaps the service range %s or the pod range %s", o.serviceCIDR, o.podCIDR)}
	var clashes []string
	seen := map[string]bool{}
	for _, n := range append(append([]kurlIface(nil), f.ifaces...), f.routes...) {
		if n.prefix.Addr().IsLoopback() || kurlIgnoredInterfaces[n.name] {
			continue
		}
		network := n.prefix.Masked()
		for _, r := range []struct {
			what string
			p    netip.Prefix
		}{{"service range", o.serviceCIDR}, {"pod range", o.podCIDR}} {
			key := network.String() + r.p.String()
			if network.Overlaps(r.p) && !seen[key] {
				seen[key] = true
				clashes = append(clashes, fmt.Sprintf("%s (%s) overlaps the %s %s", network, n.name, r.what, r.p))
			}
		}
	}
	if len(clashes) > 0 {
		c.status = "fail"
		c.message = strings.Join(clashes, "; ") + ": pods and services would be unreachable; move the host network or change the installer's ranges (and service_cidr/pod_cidr)"
	}
	return []kurlCheck{c}
}

// blockingPreflights says why the install must not start: failures, unless
// host-preflight-ignore is set (as kURL continues then), and warnings with
// host-preflight-enforce-warnings. Hard checks always block.
func blockingPreflights(checks []kurlCheck, o kurlOptions) string {
	ignore := o.hasFlag("host-preflight-ignore", "preflight-ignore")
	// preflight-ignore-warnings is a legacy no-op in kURL
	// (kurl_util/cmd/bashmerge/main.go:220), not host-preflight-enforce-warnings.
	enforceWarnings := o.hasFlag("host-preflight-enforce-warnings")
	var blocking []string
	for _, c := range checks {
		if (c.status == "fail" && (c.hard || !ignore)) || (c.status == "warn" && enforceWarnings && !ignore) {
			blocking = append(blocking, c.name+": "+c.message)
		}
	}
	if len(blocking) == 0 {
		return ""
	}
	hint := "fix them and run again"
	if !ignore {
		hint += ", or set flags: {host-preflight-ignore: true} to install anyway"
	}
	return fmt.Sprintf("host preflights block the kURL install (nothing was changed): %s; %s", strings.Join(blocking, "; "), hint)
}

// The installer run.

// kurlRun is what a finished installer run left.
type kurlRun struct {
	rc         int
	timedOut   bool
	tail       []string // the last lines of output, colours stripped, secrets masked
	password   string
	kotsadmURL string
}

// runKurlInstaller runs install.sh under the timeout, streaming its output
// as events. A non-zero exit is a result, not an error.
func runKurlInstaller(ctx context.Context, h *modules.Host, w modules.Writer, o kurlOptions, addr string) (kurlRun, error) {
	runCtx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	sink := &kurlOutput{h: h}
	stdout, stderr := &kurlLines{sink: sink}, &kurlLines{sink: sink}
	out, err := w.Run(runCtx, modules.Command{Shell: o.installScript(addr), Become: h.Become, Stdout: stdout, Stderr: stderr})
	stdout.flush()
	stderr.flush()
	run := kurlRun{rc: out.RC, tail: sink.tail, password: sink.password, kotsadmURL: sink.kotsadmURL}
	if err != nil {
		if runCtx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
			run.timedOut = true
			return run, nil
		}
		return run, fmt.Errorf("running the kURL installer on %s: %w", modules.HostLabel(h), err)
	}
	return run, nil
}

// ansiEscape matches the colour and cursor sequences kURL prints.
var ansiEscape = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)`)

// stripANSI removes terminal colour and cursor sequences.
func stripANSI(s string) string { return ansiEscape.ReplaceAllString(s, "") }

var (
	kotsadmPasswordLine = regexp.MustCompile(`Login with password \(will not be shown again\):\s*(\S+)`)
	kotsadmURLLine      = regexp.MustCompile(`^Kotsadm:\s*(http\S+)`)
)

const kurlTailLines = 40

// kurlOutput turns the installer's lines into events: colours stripped, the
// Admin Console password learned, registered as a secret and masked.
type kurlOutput struct {
	h          *modules.Host
	mu         sync.Mutex
	tail       []string
	password   string
	kotsadmURL string
}

func (k *kurlOutput) line(raw string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	line := stripANSI(strings.TrimRight(raw, "\r"))
	if m := kotsadmPasswordLine.FindStringSubmatch(line); m != nil && k.password == "" {
		k.password = m[1]
		k.h.AddSecret(k.password)
	}
	if k.password != "" {
		line = strings.ReplaceAll(line, k.password, "********")
	}
	if m := kotsadmURLLine.FindStringSubmatch(line); m != nil {
		k.kotsadmURL = m[1]
	}
	k.tail = append(k.tail, line)
	if len(k.tail) > kurlTailLines {
		k.tail = k.tail[len(k.tail)-kurlTailLines:]
	}
	k.h.Emit(modules.Event{Kind: "output", Line: line})
}

// kurlLines splits one output stream into lines for kurlOutput.
type kurlLines struct {
	sink *kurlOutput
	part []byte
}

func (w *kurlLines) Write(p []byte) (int, error) {
	w.part = append(w.part, p...)
	for {
		i := bytes.IndexByte(w.part, '\n')
		if i < 0 {
			break
		}
		w.sink.line(string(w.part[:i]))
		w.part = w.part[i+1:]
	}
	return len(p), nil
}

func (w *kurlLines) flush() {
	if len(w.part) > 0 {
		w.sink.line(string(w.part))
		w.part = nil
	}
}
