package modules

// HumanBytes is the one way ferry writes a size, in plans, checks and
// transfer progress alike: decimal units as kURL's and Dash Enterprise's
// requirements are stated ("812 B", "1.2 kB", "5.4 GB").
func HumanBytes(n int64) string { return humanBytes(n) }
