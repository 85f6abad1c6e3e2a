package runner

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/ferry-sh/ferry/internal/keyorder"
	"github.com/ferry-sh/ferry/runner/template"
)

// customStats are the stats set_stats sets, per host and for the run
// ("_run"), kept as ansible-core 2.14's AggregateStats keeps them
// (executor/stats.py) and shown after the recap when show_custom_stats is
// set (plugins/callback/default.py).
type customStats struct {
	mu sync.Mutex
	m  map[string]map[string]any // host or "_run" -> name -> value
}

// runStats is the key of the stats set for the whole run.
const runStats = "_run"

// add records a set_stats result (each loop item's, for a loop), as the
// strategy does with a result's ansible_stats: per_host stats go to each of
// hosts (a run_once task's go to every host of the task, as
// get_task_hosts gives them), the others to the run when run is set.
func (c *customStats) add(hosts []string, registered map[string]any, run bool) {
	results := []any{registered}
	if items, ok := registered["results"].([]any); ok {
		results = items
	}
	for _, item := range results {
		res, _ := item.(map[string]any)
		stats, _ := res["ansible_stats"].(map[string]any)
		data, _ := stats["data"].(map[string]any)
		if len(data) == 0 {
			continue
		}
		who := []string{runStats}
		if perHost, _ := stats["per_host"].(bool); perHost {
			who = hosts
		} else if !run {
			continue
		}
		aggregate, _ := stats["aggregate"].(bool)
		for _, host := range who {
			for _, k := range keyorder.Keys(data) {
				c.set(host, k, data[k], aggregate)
			}
		}
	}
}

// set is set_custom_stats, or update_custom_stats when aggregate: a value
// of another type than the one kept is ignored, mappings merge, numbers,
// text and lists add up.
func (c *customStats) set(who, name string, value any, aggregate bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]map[string]any{}
	}
	if c.m[who] == nil {
		c.m[who] = map[string]any{}
	}
	old, kept := c.m[who][name]
	switch {
	case !aggregate || !kept:
		c.m[who][name] = value
	case reflect.TypeOf(old) != reflect.TypeOf(value):
	default:
		c.m[who][name] = addUp(old, value)
	}
}

func addUp(old, value any) any {
	switch o := old.(type) {
	case map[string]any:
		return template.MergeHash(o, value.(map[string]any))
	case []any:
		return append(slices.Clone(o), value.([]any)...)
	case string:
		return o + value.(string)
	case int:
		return o + value.(int)
	case float64:
		return o + value.(float64)
	}
	return value
}

// snapshot is a copy of the stats for the recap event, nil when none was set.
func (c *customStats) snapshot() map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) == 0 {
		return nil
	}
	out := map[string]any{}
	for who, stats := range c.m {
		out[who] = keyorder.Copy(stats)
	}
	return out
}

// customStatsText is the CUSTOM STATS section of the default callback:
// each host's stats, then the run's, as JSON (indent 1, sorted keys) on one
// line.
func (s *TextSink) customStatsText(b *strings.Builder, custom map[string]any) {
	if len(custom) == 0 {
		return
	}
	bannerWidth(b, "CUSTOM STATS:", s.Width)
	hosts := slices.Sorted(func(yield func(string) bool) {
		for k := range custom {
			if k != runStats && !yield(k) {
				return
			}
		}
	})
	for _, h := range hosts {
		b.WriteString("\t" + h + ": " + oneLineJSON(custom[h]) + "\n")
	}
	if run, ok := custom[runStats]; ok {
		b.WriteString("\n\tRUN: " + oneLineJSON(run) + "\n")
	}
	b.WriteString("\n")
}

// oneLineJSON is json.dumps(v, indent=1, sort_keys=True) with the line
// breaks taken out, as _dump_results(..., indent=1).replace('\n', ”).
func oneLineJSON(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(v); err != nil {
		return ""
	}
	return strings.ReplaceAll(strings.TrimSuffix(buf.String(), "\n"), "\n", "")
}
