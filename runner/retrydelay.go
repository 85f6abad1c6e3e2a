package runner

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// delayValue reads until's delay: whole seconds (an int, checked before
// the run like timeout), a fraction such as 0.5, or a template.
func (p *parser) delayValue(n *yaml.Node) any {
	if n.Kind == yaml.ScalarNode && !strings.Contains(n.Value, "{{") {
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil && f >= 0 && f != math.Trunc(f) {
			return f
		}
	}
	return p.intOrTemplate(n)
}

// retryDelay is the wait between until's attempts (Ansible's default: 5
// seconds). A fraction waits that long, where ansible-core 2.14 truncates
// it to whole seconds (0.5 to none); a negative one waits a second, as
// TaskExecutor does.
func (r *Runner) retryDelay(sc *scope, v any) (time.Duration, error) {
	switch x := v.(type) {
	case nil:
		return 5 * time.Second, nil
	case int:
		return seconds(x, "delay")
	case string:
		rv, err := sc.render(x)
		if err != nil {
			return 0, fmt.Errorf("delay: %w", err)
		}
		v = rv
	}
	text := strings.TrimSpace(fmt.Sprint(v))
	f, err := strconv.ParseFloat(text, 64)
	switch {
	case err != nil || math.IsNaN(f):
		return 0, fmt.Errorf("delay must be a number of seconds, got %q", text)
	case f < 0:
		return time.Second, nil
	case f > float64(maxSeconds):
		return 0, fmt.Errorf("delay %s is too long: at most %d seconds", text, maxSeconds)
	}
	return time.Duration(f * float64(time.Second)), nil
}
