package kots

import (
	"fmt"
	"strings"
	"time"

	"github.com/ferry-sh/ferry/internal/shellquote"
	"k8s.io/apimachinery/pkg/util/validation"
)

// kotsUploadArgs are kots_upload's arguments as a playbook gives them;
// kotsOptionsOf turns them into kotsOptions.
type kotsUploadArgs struct {
	Namespace              string         "opt:\"namespace\" default:\"plotly-system\" doc:\"Namespace of the app and of its KOTS Admin Console (kotsadm). `kots install` creates it and deploys kotsadm in it, as Plotly's script does with plotly-system; kURL's own Admin Console stays in default. Always passed as --namespace: without it `kots install` prompts and hangs. Not default on a kURL cluster: there kots install deploys no Admin Console and overwrites the password of kURL's.\""
	LicenseFile            string         `opt:"license_file,required" doc:"Path on the host of the license (.yaml) Plotly sent, e.g. staged with copy. Its spec.appSlug must match the bundle's."`
	AirgapBundle           string         `opt:"airgap_bundle,required" doc:"Path on the host of the application's .airgap bundle (~15 GB). Only its airgap.yaml and app.tar.gz are read, on the host, to learn the app slug, the version label and the release's config items; nothing large travels back."`
	ConfigValues           map[string]any `opt:"config_values" doc:"ConfigValues to apply, as a mapping of config item name to a value, or to a mapping of value, valuePlaintext (password items), data, dataPlaintext, filename (file items: value is the base64 of the file). All values are strings to KOTS: a YAML boolean becomes \"1\"/\"0\". Keys the release does not define are refused before anything runs. Rendered to config_values_dest on the host (mode 0600)."`
	ConfigValuesFile       string         `opt:"config_values_file" doc:"Instead of config_values: the path on the host of a kots.io/v1beta1 ConfigValues file."`
	ConfigValuesDest       string         `opt:"config_values_dest" doc:"Where config_values is rendered on the host; default: <airgap_bundle's directory>/<app slug>-configvalues.yaml. Written (mode 0600) only when install or set config needs it."`
	AdminConsolePassword   string         `opt:"admin_console_password,secret" doc:"The KOTS Admin Console password (6+ characters). Set through the Kubernetes API as KOTS's own reset does (bcrypt in secret kotsadm-password; every session logged out) before the first install and whenever it differs; never on a command line. Needed for the first install unless the secret already exists."`
	SkipPreflights         bool           `opt:"skip_preflights" default:"no" doc:"Pass --skip-preflights: non-strict preflight warnings and failures no longer block the headless deploy (strict ones still do)."`
	WaitDuration           string         `opt:"wait_duration" default:"30m" doc:"kots install --wait-duration (Go duration): how long KOTS waits for each component and for the automated install."`
	PreflightsWaitDuration string         `opt:"preflights_wait_duration" default:"30m" doc:"kots install --preflights-wait-duration (Go duration)."`
	WaitTimeout            string         "opt:\"wait_timeout\" default:\"30m\" doc:\"How long to wait (Go duration) for the app state `ready` and the newest version `deployed` after a change; 0 does not wait.\""
	PollInterval           string         `opt:"poll_interval" default:"10s" doc:"How often to poll the app's state while waiting (Go duration)."`
	Tmpdir                 string         `opt:"tmpdir" doc:"TMPDIR for the kots commands: unpacking the bundle needs twice its size free (/tmp is often too small)."`
	KotsBin                string         "opt:\"kots_bin\" default:\"kubectl kots\" doc:\"The KOTS CLI command on the host (split into words like a shell does): `kubectl kots` (plugin /usr/local/bin/kubectl-kots on kURL), or a path to kubectl-kots.\""
	Kubeconfig             string         `opt:"kubeconfig" default:"/etc/kubernetes/admin.conf" doc:"The cluster's kubeconfig on the host, passed to every kots command as --kubeconfig and read (with become) for the Kubernetes API calls."`
	AppSlug                string         `opt:"app_slug" doc:"The app slug; default: the bundle's airgap.yaml spec.appSlug."`
	KotsadmBundle          string         "opt:\"kotsadm_bundle\" doc:\"Path on the host of the Admin Console's airgap bundle, kotsadm.tar.gz of the KOTS release matching kubectl-kots. Before the first install its images are pushed to kURL's registry (`kubectl kots admin-console push-images`), where `kots install` runs the Admin Console from; required for a first install on a cluster with kURL's registry, and when kubectl-kots is newer than the Admin Console running, which is then upgraded to the CLI's version (`kubectl kots admin-console upgrade`) before the app is uploaded.\""
}

// OptionChecks are the rules beyond each argument's type, so that `ferry
// validate` reports a bad value before anything runs.
func (kotsUploadArgs) OptionChecks() map[string]func(any) error {
	return map[string]func(any) error{
		"namespace":                checkKotsNamespace,
		"config_values":            checkConfigValues,
		"admin_console_password":   checkKotsPassword,
		"wait_duration":            checkGoDuration("wait_duration"),
		"preflights_wait_duration": checkGoDuration("preflights_wait_duration"),
		"wait_timeout":             checkDurationArg("wait_timeout", false),
		"poll_interval":            checkDurationArg("poll_interval", true),
		"kots_bin":                 checkKotsBin,
	}
}

// kotsReleaseArgs are kots_release's arguments.
type kotsReleaseArgs struct {
	Bundle       string         `opt:"bundle,required" doc:"The .airgap bundle on the controller, looked up like copy's src. Only airgap.yaml and app.tar.gz are read, from the start of the archive; the images after them are not."`
	ConfigValues map[string]any `opt:"config_values" doc:"ConfigValues to check, as kots_upload takes them: every key must be an item of the release, and every required item without a default must be set."`
}

// OptionChecks: config_values as kots_upload takes them.
func (kotsReleaseArgs) OptionChecks() map[string]func(any) error {
	return map[string]func(any) error{"config_values": checkConfigValues}
}

func checkKotsBin(v any) error {
	s := fmt.Sprint(v)
	if kots, err := shellquote.Split(s); err != nil || len(kots) == 0 {
		return fmt.Errorf("kots_bin %q is not a command: %v", s, err)
	}
	return nil
}

// checkGoDuration checks a duration passed on to kots as it is.
func checkGoDuration(name string) func(any) error {
	return func(v any) error {
		s := fmt.Sprint(v)
		if _, err := time.ParseDuration(s); err != nil {
			return fmt.Errorf("%s %q is not a Go duration (e.g. 30m, 1h): %v", name, s, err)
		}
		return nil
	}
}

// checkDurationArg checks a duration ferry waits itself; positive ones must
// be more than 0.
func checkDurationArg(name string, positive bool) func(any) error {
	return func(v any) error {
		d, err := parseDurationArg(name, fmt.Sprint(v))
		if err == nil && positive && d <= 0 {
			return fmt.Errorf("%s must be more than 0", name)
		}
		return err
	}
}

func checkKotsPassword(v any) error {
	if pw := fmt.Sprint(v); pw != "" && (len(pw) < 6 || strings.ContainsAny(pw, "\r\n")) {
		return fmt.Errorf("admin_console_password must be at least 6 characters on one line, as KOTS requires")
	}
	return nil
}

func checkKotsNamespace(v any) error {
	ns := fmt.Sprint(v)
	if ns == "" {
		return fmt.Errorf("namespace is empty; kots install would prompt for it and hang")
	}
	if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		return fmt.Errorf("namespace %q is not a Kubernetes namespace name: %s", ns, strings.Join(errs, "; "))
	}
	return nil
}

func checkConfigValues(v any) error {
	m, _ := v.(map[string]any)
	_, err := valuesFromArg(m)
	return err
}
