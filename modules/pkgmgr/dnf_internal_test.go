package pkgmgr

import (
	"reflect"
	"testing"
)

// dnf's table as dnf 4 prints it: a name too long for its column wraps
// onto a line of its own, an obsoleting package lists what it replaces,
// and an upgrade names the package whose installed version goes.
func TestParseTransaction(t *testing.T) {
	out := `Dependencies resolved.
================================================================================
 Package                         Arch     Version          Repository      Size
================================================================================
Installing:
 ferry-hello                     noarch   1:1.0-1          @commandline   5.9 k
 ferry-a-package-with-a-very-long-name-indeed
                                 x86_64   2.0-3.el9        local           12 M
     replacing  ferry-old.noarch 0.9-1
Upgrading:
 ferry-up                        noarch   1.1-1            @commandline   5.9 k
Installing dependencies:
 ferry-dep                       noarch   1.0-1            local          4  
Removing dependent packages:
 ferry-app                       noarch   1.0-1            @@commandline    4  
Skipping packages with broken dependencies:
 ferry-broken                    noarch   1.0-1            local          4  

Transaction Summary
================================================================================
Install  3 Packages
`
	want := transaction{
		install:  []string{"ferry-hello-1:1.0-1.noarch", "ferry-a-package-with-a-very-long-name-indeed-2.0-3.el9.x86_64", "ferry-up-1.1-1.noarch", "ferry-dep-1.0-1.noarch"},
		remove:   []string{"ferry-old-0.9-1.noarch", "ferry-app-1.0-1.noarch"},
		replaced: []string{"ferry-up"},
	}
	if got := parseTransaction(out); !reflect.DeepEqual(got, want) {
		t.Errorf("parseTransaction:\n got %+v\nwant %+v", got, want)
	}
	if got := parseTransaction("Dependencies resolved.\nNothing to do.\nComplete!\n"); len(got.install)+len(got.remove) != 0 {
		t.Errorf("nothing to do parsed as %+v", got)
	}
}

// rpm -K's verdicts in the words of dnf's _sig_check_pkg.
func TestSignatureProblem(t *testing.T) {
	for verdict, want := range map[string]string{
		"/srv/a.rpm: digests signatures OK\n":                       "",
		"/srv/a.rpm: digests OK\n":                                  "Package a.rpm is not signed",
		"/srv/a.rpm: digests SIGNATURES NOT OK (MISSING KEYS: x)\n": "Public key for a.rpm is not installed",
		"error: /srv/a.rpm: not an rpm package\n":                   "Problem opening package a.rpm",
	} {
		if got := signatureProblem(verdict, "a.rpm"); got != want {
			t.Errorf("signatureProblem(%q) = %q, want %q", verdict, got, want)
		}
	}
}

// Ansible's listify_comma_sep_strings_in_list: the parts of a comma list
// go to the end.
func TestListify(t *testing.T) {
	if got, want := listify([]string{"a,b", "c"}), []string{"c", "a", "b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("listify = %q, want %q", got, want)
	}
	if got := listify([]string{""}); got != nil {
		t.Errorf("listify of one empty name = %q, want none", got)
	}
}

func TestDnfGPGError(t *testing.T) {
	out := "Downloading Packages:\nPackage ferry-dep-1.0-1.noarch.rpm is not signed\n"
	problem, nevra, ok := gpgProblem(out + "Error: GPG check FAILED\n")
	if !ok || nevra != "ferry-dep-1.0-1.noarch" || problem != "Package ferry-dep-1.0-1.noarch.rpm is not signed" {
		t.Errorf("gpgProblem = %q, %q, %v", problem, nevra, ok)
	}
}
