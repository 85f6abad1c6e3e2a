package inventory

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// bigInventory writes an inventory of n hosts in 10 web groups and 5 zones
// under two parent groups, with group_vars for every group, a host_vars file
// for every 10th host, and inline vars on every host.
func bigInventory(b *testing.B, n int) string {
	files := map[string]string{}
	var ini strings.Builder
	for g := 0; g < 10; g++ {
		fmt.Fprintf(&ini, "[web%d]\n", g)
		for i := g; i < n; i += 10 {
			fmt.Fprintf(&ini, "host%04d.example.com ansible_host=10.0.%d.%d idx=%d\n", i, i/256, i%256, i)
		}
		files[fmt.Sprintf("group_vars/web%d.yml", g)] = fmt.Sprintf("web_group: %d\nport: %d\n", g, 8000+g)
	}
	for z := 0; z < 5; z++ {
		fmt.Fprintf(&ini, "[zone%d]\n", z)
		for i := z; i < n; i += 5 {
			fmt.Fprintf(&ini, "host%04d.example.com\n", i)
		}
		files[fmt.Sprintf("group_vars/zone%d/main.yml", z)] = fmt.Sprintf("zone: z%d\nntp: ntp%d\n", z, z)
	}
	ini.WriteString("[web:children]\n")
	for g := 0; g < 10; g++ {
		fmt.Fprintf(&ini, "web%d\n", g)
	}
	ini.WriteString("[zones:children]\n")
	for z := 0; z < 5; z++ {
		fmt.Fprintf(&ini, "zone%d\n", z)
	}
	ini.WriteString("[web:vars]\nrole=web\n[all:vars]\nenv=prod\n")
	files["hosts"] = ini.String()
	files["group_vars/all.yml"] = "timezone: UTC\nusers: [a, b, c]\n"
	for i := 0; i < n; i += 10 {
		files[fmt.Sprintf("host_vars/host%04d.example.com.yml", i)] = "special: true\n"
	}
	return filepath.Join(writeFiles(b, files), "hosts")
}

// BenchmarkLoadAndResolve1000 loads 1,000 hosts with group_vars and host_vars
// and resolves every host's variables.
func BenchmarkLoadAndResolve1000(b *testing.B) {
	path := bigInventory(b, 1000)
	b.ResetTimer()
	for b.Loop() {
		inv, err := Load(path)
		if err != nil {
			b.Fatal(err)
		}
		for _, h := range inv.Hosts() {
			if v := inv.HostVars(h.Name); v["env"] != "prod" {
				b.Fatalf("%s: env = %v", h.Name, v["env"])
			}
		}
	}
}

func BenchmarkListJSON1000(b *testing.B) {
	inv, err := Load(bigInventory(b, 1000))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := inv.ListJSON(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMatch1000(b *testing.B) {
	inv, err := Load(bigInventory(b, 1000))
	if err != nil {
		b.Fatal(err)
	}
	for _, pattern := range []string{"all", "web3", "web:&zone1:!host0003.example.com", "host01*", `~host0\d{2}1`, "web[10:20]"} {
		b.Run(pattern, func(b *testing.B) {
			for b.Loop() {
				if hosts, err := inv.Match(pattern); err != nil || len(hosts) == 0 {
					b.Fatalf("Match(%q) = %d hosts, %v", pattern, len(hosts), err)
				}
			}
		})
	}
}
