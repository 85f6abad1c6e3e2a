// Package humansize reads and writes sizes as Ansible's
// module_utils/common/text/formatters.py does ('10M', '1.5 GB', '8Mb'): the
// human_to_bytes and human_readable filters and the argument specs' bytes and
// bits types share it.
package humansize

import (
	"regexp"
	"strconv"
	"strings"
)

// Ranges are formatters.py's SIZE_RANGES, largest first.
var Ranges = []struct {
	Unit  string
	Limit float64
}{{"Y", 1 << 80}, {"Z", 1 << 70}, {"E", 1 << 60}, {"P", 1 << 50}, {"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}}

var pattern = regexp.MustCompile(`^\s*(\d*\.?\d*)\s*([A-Za-z]+)?`)

// ToBytes is human_to_bytes before its final int(round()): s's number times
// its unit (defaultUnit when s has none), in bits when isBits. ok is false
// where human_to_bytes raises ValueError: no number, an unknown unit, or a
// byte unit given for bits ('MB' with isBits) and the reverse.
func ToBytes(s, defaultUnit string, isBits bool) (n float64, ok bool) {
	m := pattern.FindStringSubmatch(s)
	num, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, false
	}
	unit := m[2]
	if unit == "" {
		unit = defaultUnit
	}
	if unit == "" {
		return num, true
	}
	limit := 0.0
	for _, r := range Ranges {
		if r.Unit == strings.ToUpper(unit[:1]) {
			limit = r.Limit
		}
	}
	if limit == 0 {
		return 0, false
	}
	class, className := "B", "byte"
	if isBits {
		class, className = "b", "bit"
	}
	if len(unit) > 1 && !strings.Contains(strings.ToLower(unit), className) && unit[1:2] != class {
		return 0, false
	}
	return num * limit, true
}
