package template

import "time"

// gNow is Ansible's now(utc=False, fmt=None) global (Templar._now_datetime):
// the controller's local time, or UTC's with utc, as a naive datetime; with
// fmt, the text of its strftime (where %f is the microseconds).
func gNow(p ...any) (any, error) {
	a, err := splitArgs(p)
	if err != nil {
		return nil, err
	}
	if err := a.expect(2, "utc", "fmt"); err != nil {
		return nil, err
	}
	t := time.Now()
	if a.flag(0, "utc") {
		t = t.UTC()
	}
	if f, ok := a.get(1, "fmt"); ok && truthy(f) {
		return strftime(pyStr(f), t, true)
	}
	return pyDatetime{t: t}, nil
}
