package runner

import (
	"fmt"
	"math"
	"time"
)

// maxSeconds is the longest delay or timeout a time.Duration holds (about
// 292 years): a larger number would wrap around to a short or negative one.
const maxSeconds = math.MaxInt64 / int64(time.Second)

// literals checks the literal values that the run would only refuse when it
// reached the task: delays and timeouts too long for a duration. (Module
// arguments, file modes among them, are checked by their spec when parsed.)
func (v *validator) literals(t *Task) {
	where := fmt.Sprintf("task %q", t.Title())
	for _, f := range []struct {
		name string
		val  any
	}{{"delay", t.Delay}, {"timeout", t.Timeout}} {
		if n, ok := f.val.(int); ok {
			if _, err := seconds(n, f.name); err != nil {
				v.diags.add(t.Pos, "", "%s: %v", where, err)
			}
		}
	}
}

// seconds turns a delay or timeout into a duration, refusing what a
// time.Duration cannot hold.
func seconds(n int, name string) (time.Duration, error) {
	if int64(n) > maxSeconds {
		return 0, fmt.Errorf("%s %d is too long: at most %d seconds", name, n, maxSeconds)
	}
	return time.Duration(n) * time.Second, nil
}
