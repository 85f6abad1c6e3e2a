package probe

import (
	"strconv"
	"strings"
)

// interfaceTypes are network/linux.py's names of /sys/class/net/*/type.
var interfaceTypes = map[string]string{"1": "ether", "32": "infiniband", "512": "ppp", "772": "loopback",
	"65534": "tunnel"}

// interfaceDetails adds to an interface's fact what get_interfaces_info
// reads of it besides its addresses: type, promiscuous mode, speed, driver
// module, PCI id, and its IPv6 addresses with their scope. Bridges', bonds'
// and ethtool's details ferry does not read.
func (g *gathered) interfaceDetails(entry map[string]any, name string) {
	for _, line := range g.multi["ifx"] {
		f := strings.SplitN(line, " ", 3)
		if len(f) != 3 || f[0] != name {
			continue
		}
		v := strings.TrimSpace(f[2])
		switch f[1] {
		case "type":
			entry["type"] = "unknown"
			if t, ok := interfaceTypes[v]; ok {
				entry["type"] = t
			}
		case "flags":
			if n, err := strconv.ParseInt(strings.TrimPrefix(v, "0x"), 16, 64); err == nil {
				entry["promisc"] = n&0x0100 > 0
			}
		case "speed":
			if n, err := strconv.Atoi(v); err == nil {
				entry["speed"] = n
			}
		case "module", "pciid":
			entry[f[1]] = v
		}
	}
	var v6 []any
	for _, a := range g.addrs6 {
		if a.dev == name {
			v6 = append(v6, map[string]any{"address": a.p.Addr().String(), "prefix": strconv.Itoa(a.p.Bits()), "scope": a.scope})
		}
	}
	if v6 != nil {
		entry["ipv6"] = v6
	}
}

// interfaceType is the type of an interface's fact, "unknown" without one
// (what the default routes' facts say).
func (g *gathered) interfaceType(name string) string {
	entry := map[string]any{}
	g.interfaceDetails(entry, name)
	if t, ok := entry["type"].(string); ok {
		return t
	}
	return "unknown"
}
