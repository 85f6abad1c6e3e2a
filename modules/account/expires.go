package account

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// parseExpires reads user's expires as user.py's float argument.
func parseExpires(s *string) (*float64, error) {
	if s == nil {
		return nil, nil
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(*s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("argument expires: %q is not a number of seconds since the epoch (give one such as 1422403387, or -1 for never)", *s)
	}
	return &f, nil
}

// expiryDate is useradd's and usermod's -e for expires, as user.py writes
// it: the UTC day of that time, or "" (never) before the epoch.
func expiryDate(expires float64) string {
	if expires < 0 {
		return ""
	}
	return time.Unix(int64(expires), 0).UTC().Format("2006-01-02")
}

// expiryDiffers is user.py's modify_user test against the shadow entry's
// expiry field (days since the epoch; empty or negative: never): a time
// before the epoch differs from a set expiry, any other from an unset one
// or another day.
func expiryDiffers(expires float64, shadowField string) bool {
	current, err := strconv.Atoi(shadowField)
	if err != nil {
		current = -1
	}
	if expires < 0 {
		return current >= 0
	}
	return current < 0 || time.Unix(int64(current)*86400, 0).UTC().Format("2006-01-02") != expiryDate(expires)
}
