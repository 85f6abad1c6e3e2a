package pkgmgr

import (
	"testing"
	"time"
)

// apt-get's count line decides whether a command changes anything; a
// removal or a downgrade alone is a change (Ansible's "0 upgraded, 0 newly
// installed" test misses them).
func TestChangesSomething(t *testing.T) {
	for out, want := range map[string]bool{
		"Reading...\n0 upgraded, 0 newly installed, 0 to remove and 3 not upgraded.\n":              false,
		"Reading...\n0 upgraded, 0 newly installed, 1 to remove and 0 not upgraded.\nRemv x [1]\n":  true,
		"0 upgraded, 0 newly installed, 1 downgraded, 0 to remove and 0 not upgraded.\n":            true,
		"1 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n":                          true,
		"0 upgraded, 0 newly installed, 1 reinstalled, 0 to remove and 0 not upgraded.\n":           true,
		"0 upgraded, 2 newly installed, 0 to remove and 0 not upgraded.\nInst ferry-dep (1.0 ./)\n": true,
	} {
		if got := changesSomething(out); got != want {
			t.Errorf("changesSomething(%q) = %v, want %v", out, got, want)
		}
	}
}

func TestSplitSpec(t *testing.T) {
	for in, want := range map[string]spec{
		"nginx": {name: "nginx"}, "nginx=1.2*": {"nginx", "=", "1.2*"}, "nginx>=1.2": {"nginx", ">=", "1.2"},
	} {
		if got := splitSpec(in); got != want {
			t.Errorf("splitSpec(%q) = %+v, want %+v", in, got, want)
		}
	}
}

// Ansible's parse_diff: from the line after "Reading state information..."
// to the count line; everything when neither is there.
func TestAptPrepared(t *testing.T) {
	for out, want := range map[string]string{
		"Reading package lists...\nReading state information...\nThe following NEW packages will be installed:\n  x\n0 upgraded, 1 newly installed, 0 to remove and 0 not upgraded.\nInst x (1.0 ./)\n": "The following NEW packages will be installed:\n  x\n0 upgraded, 1 newly installed, 0 to remove and 0 not upgraded.",
		"Del x 1.0 [1 B]\n":              "Del x 1.0 [1 B]",
		"Reading state information...\n": "",
	} {
		if got := aptPrepared(out); got != want {
			t.Errorf("aptPrepared(%q) = %q, want %q", out, got, want)
		}
	}
}

// Lists written earlier in the same second are stale with cache_valid_time
// 0, as with apt.py's datetimes (CI once ran the update task within the
// second its root's lists were made, and ferry skipped the update).
func TestCacheStaleWithinTheSecond(t *testing.T) {
	mtime, err := unixTime("1796421329.140695618")
	if err != nil {
		t.Fatal(err)
	}
	now, err := unixTime("1796421329.9")
	if err != nil {
		t.Fatal(err)
	}
	if !stale(mtime, now, 0) {
		t.Errorf("lists from %v are not stale at %v with cache_valid_time 0", mtime, now)
	}
	if stale(mtime, now, time.Second) {
		t.Errorf("lists from %v are stale at %v with cache_valid_time 1", mtime, now)
	}
	if zero, err := unixTime("0"); err != nil || zero.Unix() != 0 {
		t.Errorf(`unixTime("0") = %v, %v`, zero, err)
	}
	if _, err := unixTime("12.x"); err == nil {
		t.Error(`unixTime("12.x") is no error`)
	}
}
