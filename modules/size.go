package modules

import "fmt"

// HumanBytes is the one way ferry writes a size, in plans, checks and
// transfer progress alike: decimal units as kURL's and Dash Enterprise's
// requirements are stated ("812 B", "1.2 kB", "5.4 GB").
func HumanBytes(n int64) string {
	if n < 1000 {
		return fmt.Sprintf("%d B", n)
	}
	f, units := float64(n), []string{"kB", "MB", "GB", "TB", "PB"}
	for _, u := range units {
		f /= 1000
		if f < 1000 || u == "PB" {
			return fmt.Sprintf("%.1f %s", f, u)
		}
	}
	return fmt.Sprintf("%d B", n)
}
