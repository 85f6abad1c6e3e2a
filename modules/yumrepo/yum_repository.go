// Package yumrepo is Ansible's yum_repository module: one repository's
// section in a .repo file of /etc/yum.repos.d, as ansible-core 2.14's
// modules/yum_repository.py writes it (through Python's RawConfigParser),
// so that a role run by ferry and by ansible-playbook leaves the same file.
// Public RHEL-family roles add a vendor's repository with it (EPEL, docker,
// nginx, postgresql, grafana).
package yumrepo

import (
	"context"
	"fmt"
	"path"
	"reflect"
	"slices"
	"strings"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

func init() { modules.Register(yumRepositoryModule{}) }

type yumRepositoryModule struct{}

// yumRepositoryOptions are yum_repository.py's argument_spec. The fields
// tagged are the repository's options in the file, written under
// their option's name when given (description as name).
type yumRepositoryOptions struct {
	Name        string  `opt:"name,required,nonempty" doc:"The repository's id: its [section] in the file."`
	Description *string `opt:"description" doc:"The repository's human-readable name (its name = line); required with state: present."`
	State       string  `opt:"state" default:"present" choices:"absent,present" doc:"present writes the repository's section (replacing one of its id); absent removes it, and the file when no repository is left."`
	File        *string `opt:"file" doc:"The file's name without .repo; default: the repository's id."`
	Reposdir    string  `opt:"reposdir" default:"/etc/yum.repos.d" doc:"The directory of .repo files; it must exist."`
	Params      any     `opt:"params" doc:"Removed in Ansible 2.5: give each option by its own name."`

	Async                      *bool     `opt:"async" doc:"Download repository data in parallel (async = 0/1)."`
	Bandwidth                  *string   `opt:"bandwidth" doc:"Maximum download bandwidth (with throttle)."`
	Baseurl                    *[]string `opt:"baseurl" doc:"The repository's URLs (one a line in the file); baseurl, metalink or mirrorlist is required with state: present."`
	Cost                       *string   `opt:"cost" doc:"Relative cost of the repository."`
	DeltarpmMetadataPercentage *string   `opt:"deltarpm_metadata_percentage" doc:"When to download deltarpm metadata."`
	DeltarpmPercentage         *string   `opt:"deltarpm_percentage" doc:"When to use a deltarpm."`
	Enabled                    *bool     `opt:"enabled" doc:"Whether yum uses the repository."`
	Enablegroups               *bool     `opt:"enablegroups" doc:"Whether package groups of the repository may be used."`
	Exclude                    *[]string `opt:"exclude" doc:"Packages (globs) never taken from the repository."`
	Failovermethod             *string   `opt:"failovermethod" choices:"roundrobin,priority" doc:"How baseurl's addresses are tried."`
	Gpgcakey                   *string   `opt:"gpgcakey" doc:"A URL of the CA key of gpgkey."`
	Gpgcheck                   *bool     `opt:"gpgcheck" doc:"Check the packages' GPG signatures."`
	Gpgkey                     *[]string `opt:"gpgkey" doc:"URLs of the repository's GPG keys."`
	ModuleHotfixes             *bool     `opt:"module_hotfixes" doc:"Packages of the repository bypass module filtering."`
	HTTPCaching                *string   `opt:"http_caching" choices:"all,packages,none" doc:"What HTTP caches may keep."`
	Include                    *string   `opt:"include" doc:"A file or URL whose options are included."`
	Includepkgs                *[]string `opt:"includepkgs" doc:"The only packages taken from the repository."`
	IPResolve                  *string   `opt:"ip_resolve" choices:"4,6,IPv4,IPv6,whatever" doc:"The IP version used."`
	Keepalive                  *bool     `opt:"keepalive" doc:"HTTP keepalive."`
	Keepcache                  *string   `opt:"keepcache" choices:"0,1" doc:"Keep the downloaded packages."`
	MetadataExpire             *string   `opt:"metadata_expire" doc:"Time after which the metadata expire."`
	MetadataExpireFilter       *string   `opt:"metadata_expire_filter" choices:"never,read-only:past,read-only:present,read-only:future" doc:"Which commands check the metadata's age."`
	Metalink                   *string   `opt:"metalink" doc:"A metalink URL of the repository's mirrors."`
	Mirrorlist                 *string   `opt:"mirrorlist" doc:"A URL of a list of the repository's mirrors."`
	MirrorlistExpire           *string   `opt:"mirrorlist_expire" doc:"Time after which the mirror list expires."`
	Password                   *string   `opt:"password,secret" doc:"Password for the repository's basic authentication (masked in ferry's output)."`
	Priority                   *string   `opt:"priority" doc:"The repository's priority (1 to 99)."`
	Protect                    *bool     `opt:"protect" doc:"Protect the repository's packages from updates of other repositories."`
	Proxy                      *string   `opt:"proxy" doc:"Proxy URL, or _none_."`
	ProxyPassword              *string   `opt:"proxy_password,secret" doc:"Password of the proxy (masked in ferry's output)."`
	ProxyUsername              *string   `opt:"proxy_username" doc:"User name of the proxy."`
	RepoGpgcheck               *bool     `opt:"repo_gpgcheck" doc:"Check the repository metadata's GPG signature."`
	Retries                    *string   `opt:"retries" doc:"Tries before failing."`
	S3Enabled                  *bool     `opt:"s3_enabled" doc:"The repository is on S3."`
	SkipIfUnavailable          *bool     `opt:"skip_if_unavailable" doc:"Go on when the repository cannot be reached."`
	Sslcacert                  *string   `opt:"sslcacert" aliases:"ca_cert" doc:"CA certificates that verify the repository's server."`
	SSLCheckCertPermissions    *bool     `opt:"ssl_check_cert_permissions" doc:"Check the client certificate files' permissions."`
	Sslclientcert              *string   `opt:"sslclientcert" aliases:"client_cert" doc:"Client certificate."`
	Sslclientkey               *string   `opt:"sslclientkey" aliases:"client_key" doc:"Client certificate's key (a path)."`
	Sslverify                  *bool     `opt:"sslverify" aliases:"validate_certs" doc:"Verify the server's certificate."`
	Throttle                   *string   `opt:"throttle" doc:"Download throttle (a rate or a fraction of bandwidth)."`
	Timeout                    *string   `opt:"timeout" doc:"Seconds before a connection times out."`
	UIRepoidVars               *string   `opt:"ui_repoid_vars" doc:"Variables appended to the repository id in yum's output."`
	Username                   *string   `opt:"username" doc:"User name for the repository's basic authentication."`

	modules.FileAttrs
	modules.SELinuxContext
}

// fileOptions are YumRepo.allowed_params, the options written to the file
// ("name" is description's value).
var fileOptions = map[string]bool{}

func init() {
	for _, name := range strings.Fields(`async bandwidth baseurl cost deltarpm_metadata_percentage deltarpm_percentage
		enabled enablegroups exclude failovermethod gpgcakey gpgcheck gpgkey module_hotfixes http_caching include
		includepkgs ip_resolve keepalive keepcache metadata_expire metadata_expire_filter metalink mirrorlist
		mirrorlist_expire name password priority protect proxy proxy_password proxy_username repo_gpgcheck retries
		s3_enabled skip_if_unavailable sslcacert ssl_check_cert_permissions sslclientcert sslclientkey sslverify
		throttle timeout ui_repoid_vars username`) {
		fileOptions[name] = true
	}
}

// listOptions are joined by spaces in the file, the other lists by newlines.
var listOptions = map[string]bool{"exclude": true, "includepkgs": true}

func (yumRepositoryModule) Spec() modules.Spec {
	return modules.Spec{
		Name:    "yum_repository",
		Summary: "Add or remove a yum/dnf repository's section in a .repo file of /etc/yum.repos.d",
		Args:    modules.OptionsOf[yumRepositoryOptions](),
		Check:   modules.CheckSupported,
		Returns: []string{"changed", "repo", "state", "diff"}, // yum_repository.py's exit_json
	}
}

func (yumRepositoryOptions) OptionChecks() map[string]func(any) error {
	return map[string]func(any) error{"params": func(v any) error {
		if v == nil {
			return nil
		}
		return fmt.Errorf("the params option to yum_repository was removed in Ansible 2.5 since it circumvents Ansible's option handling: give each option by its own name")
	}}
}

// Run is yum_repository.py's main: the file read, the repository's section
// replaced or removed, and the file written (or removed when no section is
// left) when the sorted dump of its sections changed; then the file's
// attributes.
func (yumRepositoryModule) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[yumRepositoryOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	if msg := o.missing(); msg != "" {
		return failed(msg), nil
	}
	if msg, err := o.SELinuxContext.Unsupported(ctx, h); msg != "" || err != nil {
		return failed(msg), err
	}
	dir, err := modules.StatPath(ctx, h, o.Reposdir, true)
	if err != nil {
		return modules.Result{}, err
	}
	if dir.Type != "directory" {
		return failed(fmt.Sprintf("Repo directory '%s' does not exist.", o.Reposdir)), nil
	}
	file := o.Name
	if o.File != nil {
		file = *o.File
	}
	dest := path.Join(o.Reposdir, file+".repo")
	info, repos, err := readRepoFile(ctx, h, dest)
	if err != nil {
		return modules.Result{}, err
	}
	before := repos.dump()
	if o.State == "present" {
		repos.add(o.section())
	} else {
		repos.remove(o.Name)
	}
	after := repos.dump()
	diff := modules.Ordered(map[string]any{"before_header": dest, "before": before, "after_header": dest, "after": after},
		"before_header", "before", "after_header", "after")
	res := modules.Result{Data: map[string]any{"repo": o.Name, "state": o.State, "diff": diff}}
	if before == after {
		if info.Type == "file" {
			return res, o.FileAttrs.Converge(ctx, h, dest, info)
		}
		return res, nil
	}
	res.Diffs = []modules.Diff{{Path: dest, Before: before, After: after}}
	return res, save(ctx, h, dest, repos, o.FileAttrs)
}

// missing is what state: present lacks, as yum_repository.py checks it.
func (o yumRepositoryOptions) missing() string {
	if o.State != "present" {
		return ""
	}
	if o.Baseurl == nil && o.Metalink == nil && o.Mirrorlist == nil {
		return "Parameter 'baseurl', 'metalink' or 'mirrorlist' is required."
	}
	if o.Description == nil {
		return "Parameter 'description' is required."
	}
	return ""
}

// section is YumRepo.add's: every repository option given, sorted by its
// name (description under name), lists joined, booleans as 0 and 1.
func (o yumRepositoryOptions) section() *section {
	s := newSection(o.Name)
	values := map[string]string{}
	v := reflect.ValueOf(o)
	for _, f := range reflect.VisibleFields(v.Type()) {
		name, _, _ := strings.Cut(f.Tag.Get("opt"), ",")
		field := v.FieldByIndex(f.Index)
		if fileOptions[name] && field.Kind() == reflect.Pointer && !field.IsNil() {
			values[name] = repoValue(name, field.Elem().Interface())
		}
	}
	if o.Description != nil {
		values["name"] = *o.Description
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		s.set(k, values[k])
	}
	return s
}

// repoValue is how the module sets an option's value: a bool as int(), a
// list of exclude and includepkgs joined by spaces, baseurl's and gpgkey's
// by newlines.
func repoValue(name string, v any) string {
	switch x := v.(type) {
	case bool:
		if x {
			return "1"
		}
		return "0"
	case []string:
		if listOptions[name] {
			return strings.Join(x, " ")
		}
		return strings.Join(x, "\n")
	default:
		return fmt.Sprint(x)
	}
}

// readRepoFile reads dest when it is a file (following a link, as open()
// does); an empty repoFile otherwise.
func readRepoFile(ctx context.Context, h *modules.Host, dest string) (modules.PathInfo, *repoFile, error) {
	info, err := modules.StatPath(ctx, h, dest, true)
	if err != nil || info.Type != "file" {
		return info, &repoFile{defaults: newSection("DEFAULT")}, err
	}
	text, err := modules.ReadFile(ctx, h, dest, 16<<20)
	if err != nil {
		return info, nil, err
	}
	repos, err := parseRepoFile(dest, string(text))
	return info, repos, err
}

// save is YumRepo.save and the attributes after it: the file written
// (through a link, as open() writes) with the task's mode, owner and
// group, or removed when it has no section left.
func save(ctx context.Context, h *modules.Host, dest string, repos *repoFile, attrs modules.FileAttrs) error {
	if len(repos.sections) == 0 {
		_, err := hostcmd.Change(ctx, h, "remove "+dest, hostcmd.Quote("rm", "-f", "--", dest))
		return err
	}
	w := modules.ContentWrite{Path: dest, Content: []byte(repos.text()), Options: modules.FileEditOptions{FileAttrs: attrs}}
	_, _, err := modules.WriteContent(ctx, h, w)
	return err
}

func failed(msg string) modules.Result {
	return modules.Result{Failed: true, Msg: msg, Data: map[string]any{}}
}
