package kurl

import (
	"context"
	"fmt"
	"github.com/ferry-sh/ferry/modules"
	"maps"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ferry-sh/ferry/internal/shellquote"
)

// What kurl learns from the bundle's installer spec and the host's
// distribution, before it runs anything.

// kurlSpec is the installer spec kURL's build bakes into install.sh as
// INSTALLER_YAML="..." (kURL Makefile:286, the sed of scripts/Manifest:17).
type kurlSpec struct {
	known  bool // false when the bundle is not on the host yet (check mode)
	addons []string
}

func (s kurlSpec) has(addon string) bool { return slices.Contains(s.addons, addon) }

// kurlSpecScript prints the INSTALLER_YAML lines of the bundle's install.sh;
// tar stops at the first install.sh, the first file of a kURL bundle.
func kurlSpecScript(bundle string) string {
	return fmt.Sprintf(`tar -xzO --occurrence=1 -f %s install.sh | sed -n '/^INSTALLER_YAML=/,/"$/p'`, shellquote.Quote(bundle))
}

// readKurlSpec reads the installer spec from the bundle on the host.
func readKurlSpec(ctx context.Context, h *modules.Host, o kurlOptions) (kurlSpec, error) {
	if there, err := modules.PathExists(ctx, h, o.bundle); err != nil || !there {
		return kurlSpec{}, err
	}
	out := &modules.LimitedBuffer{Limit: 1 << 20}
	res, err := h.Query(ctx, modules.Command{Shell: kurlSpecScript(o.bundle), Become: h.Become, Stdout: out})
	if err != nil {
		return kurlSpec{}, fmt.Errorf("reading the installer spec of %s on %s: %w", o.bundle, modules.HostLabel(h), err)
	}
	text := strings.TrimSpace(out.String())
	body, ok := strings.CutPrefix(text, `INSTALLER_YAML="`)
	if res.RC != 0 || !ok {
		return kurlSpec{}, fmt.Errorf("%s on %s has no install.sh with an installer spec (INSTALLER_YAML); is it a kURL airgap bundle? %s",
			o.bundle, modules.HostLabel(h), modules.FirstLine(res.Stderr))
	}
	var doc struct {
		Kind string         `yaml:"kind"`
		Spec map[string]any `yaml:"spec"`
	}
	if err := yaml.Unmarshal([]byte(strings.TrimSuffix(body, `"`)), &doc); err != nil || doc.Kind != "Installer" {
		return kurlSpec{}, fmt.Errorf("the installer spec in %s on %s is not a kURL Installer (%v)", o.bundle, modules.HostLabel(h), err)
	}
	return kurlSpec{known: true, addons: slices.Sorted(maps.Keys(doc.Spec))}, nil
}

// kurlAddonPorts are the host ports an add-on's own host preflight checks:
// Prometheus's node exporter (kURL addons/prometheus/template/base/host-preflight.yaml)
// and Flannel's VXLAN.
var kurlAddonPorts = map[string]kurlPort{"prometheus": {proto: "tcp", port: 9100}, "flannel": {proto: "udp", port: 8472}}

// addonPorts adds the ports of the spec's add-ons to the core ones.
func (s kurlSpec) addonPorts(core []kurlPort) []kurlPort {
	ports := slices.Clone(core)
	for _, name := range slices.Sorted(maps.Keys(kurlAddonPorts)) {
		if p := kurlAddonPorts[name]; s.has(name) && !slices.Contains(ports, p) {
			ports = append(ports, p)
		}
	}
	return ports
}

// kurlAddonChecks: the add-ons an airgapped Dash Enterprise needs. Without
// the registry add-on there is no registry-creds, and KOTS has nowhere to
// push the app's and the Admin Console's images (kots pkg/kotsadm/main.go:158-186).
func kurlAddonChecks(s kurlSpec, required []string) []kurlCheck {
	if !s.known {
		return []kurlCheck{{name: "Installer add-ons", status: "warn", message: "the bundle is not on the host yet: its installer spec is read once it is staged"}}
	}
	var missing []string
	for _, a := range required {
		if !s.has(a) {
			missing = append(missing, a)
		}
	}
	c := kurlCheck{name: "Installer add-ons", status: "pass", hard: true, message: "the installer has " + strings.Join(s.addons, ", ")}
	if len(missing) > 0 {
		c.status = "fail"
		c.message = fmt.Sprintf("the kURL installer has no %s add-on (it has %s): an airgapped KOTS install pushes the app's and the Admin Console's images to kURL's registry (secret default/registry-creds); use an installer spec with `%s:`, or change require_addons if you know why",
			strings.Join(missing, ", "), strings.Join(s.addons, ", "), missing[0])
	}
	return []kurlCheck{c}
}

// kurlOSCheck is kURL's bailIfUnsupportedOS (scripts/common/preflights.sh:81-105)
// on os-release's ID and VERSION_ID, and the distributions whose host
// packages kURL cannot ship (host_packages_shipped, host-packages.sh:346).
func kurlOSCheck(f kurlHost) kurlCheck {
	id, version := strings.ToLower(f.osID), f.osVersion
	c := kurlCheck{name: "Operating system", status: "pass", hard: true, message: id + " " + version + " is supported by kURL"}
	major, _, _ := strings.Cut(version, ".")
	switch {
	case id == "":
		c.status, c.hard, c.message = "warn", false, "cannot read the distribution from os_release"
	case kurlEOL(id, version):
		c.status, c.hard, c.message = "warn", false, fmt.Sprintf("%s %s is end of life: kURL installs on it best effort", id, version)
	case !kurlSupported(id, version):
		c.status = "fail"
		c.message = fmt.Sprintf("kURL stops with: Kubernetes install is not supported on %s %s (supported: Ubuntu 18.04-26.04, RHEL 8-10, Rocky 9-10, CentOS 8-9, Oracle Linux 8, Amazon Linux 2 and 2023)", id, version)
	case (id == "ubuntu" && (version == "24.04" || version == "26.04")) || id == "amzn" && version == "2023" ||
		(slices.Contains([]string{"rhel", "rocky", "centos", "ol"}, id) && (major == "9" || major == "10")):
		c.status, c.hard = "warn", false
		c.message = fmt.Sprintf("on %s %s kURL cannot install its host packages from the airgap bundle: they must be installed first, or kURL stops with \"Host packages are missing\" (its dismiss-host-packages-preflight flag changes nothing); see kurl.sh/docs/install-with-kurl/system-requirements", id, version)
	}
	return c
}

func kurlEOL(id, version string) bool {
	major, minor, _ := strings.Cut(version, ".")
	return (id == "ubuntu" && version == "16.04") ||
		(slices.Contains([]string{"rhel", "centos", "ol"}, id) && major == "7" && len(minor) == 1 && minor >= "4")
}

func kurlSupported(id, version string) bool {
	major, minor, _ := strings.Cut(version, ".")
	switch id {
	case "ubuntu":
		return slices.Contains([]string{"18.04", "20.04", "22.04", "24.04", "26.04"}, version)
	case "rhel":
		return (major == "8" && (minor == "" || len(minor) == 1 || minor == "10")) || major == "9" || major == "10"
	case "rocky":
		return major == "9" || major == "10"
	case "centos":
		return (major == "8" && (minor == "" || minor <= "4")) || version == "9"
	case "amzn":
		return version == "2" || version == "2023"
	case "ol":
		return major == "8" && (minor == "" || len(minor) == 1 || minor == "10")
	}
	return false
}
