package modules

import (
	"strings"
	"testing"
)

func TestParseMode(t *testing.T) {
	tests := []struct {
		in    any
		cur   uint32
		isDir bool
		want  uint32
		err   string
	}{
		{"0644", 0, false, 0o644, ""},
		{"644", 0, false, 0o644, ""},
		{"0o750", 0, false, 0o750, ""},
		{"04755", 0, false, 0o4755, ""},
		{420, 0, false, 0o644, ""}, // YAML's reading of an unquoted 0644
		{0o1777, 0, true, 0o1777, ""},
		{644, 0, false, 0, `quote it: mode: "0644"`},
		{-1, 0, false, 0, "not a file mode"},
		{"08", 0, false, 0, "is not octal"},
		{"u=rw,g=r,o=r", 0o777, false, 0o644, ""},
		{"u+x", 0o644, false, 0o744, ""},
		{"go-w", 0o666, false, 0o644, ""},
		{"a+X", 0o644, false, 0o644, ""}, // X on a file with no x bit
		{"a+X", 0o744, false, 0o755, ""},
		{"a+X", 0o644, true, 0o755, ""},
		{"u=rwx,g=rx,o=", 0o777, true, 0o750, ""},
		{"+r", 0, false, 0o444, ""},
		{"u+s,g+s", 0o755, false, 0o6755, ""},
		{"+t", 0o777, true, 0o1777, ""},
		{"u=", 0o4755, false, 0o055, ""},
		{"u+r-w", 0o200, false, 0o400, ""},
		{"z=r", 0, false, 0, "is not u, g, o or a"},
		{"u", 0, false, 0, "no operator"},
		{1.5, 0, false, 0, "must be an octal string"},
	}
	for _, tt := range tests {
		got, err := parseMode(tt.in, tt.cur, tt.isDir)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("parseMode(%v) err = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseMode(%v, %04o) = %04o, %v; want %04o", tt.in, tt.cur, got, err, tt.want)
		}
	}
}

func TestFormats(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1234: "1.2 kB", 5_400_000_000: "5.4 GB"} {
		if got := HumanBytes(n); got != want {
			t.Errorf("HumanBytes(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestInstallScript(t *testing.T) {
	h := &Host{Become: &Become{User: "app"}}
	const check = "test -f '/d/a b.ferry-part' && test ! -L '/d/a b.ferry-part' && "
	tests := []struct {
		attrs  FileAttrs
		exists bool
		want   string
	}{
		{FileAttrs{}, false, check + "chown -h app: -- '/d/a b.ferry-part' && chmod 0644 -- '/d/a b.ferry-part' && mv -fT -- '/d/a b.ferry-part' '/d/a b'"},
		{FileAttrs{}, true, check + "chown -h --reference='/d/a b' -- '/d/a b.ferry-part' && chmod 0644 -- '/d/a b.ferry-part' && mv -fT -- '/d/a b.ferry-part' '/d/a b'"},
		{FileAttrs{Owner: "root", Group: "adm"}, true, check + "chown -h root:adm -- '/d/a b.ferry-part' && chmod 0644 -- '/d/a b.ferry-part' && mv -fT -- '/d/a b.ferry-part' '/d/a b'"},
	}
	for _, tt := range tests {
		got := InstallScript(h, tt.attrs, "/d/a b.ferry-part", "/d/a b", PathInfo{Exists: tt.exists}, 0o644)
		if got != tt.want {
			t.Errorf("installScript(%+v, exists=%v) =\n%s\nwant\n%s", tt.attrs, tt.exists, got, tt.want)
		}
	}
}
