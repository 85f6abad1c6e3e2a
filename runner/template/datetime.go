package template

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Dates as Ansible's strftime and to_datetime filters make and read them:
// to_datetime gives a Python datetime, which playbooks subtract
// ((a | to_datetime) - (b | to_datetime)).days, compare, format with
// strftime() and read fields of (.year); the difference is a timedelta
// (.days, .seconds, .total_seconds()).

// pyDatetime is a Python datetime: naive (no tz, the common case) or
// aware (parsed with %z).
type pyDatetime struct {
	t     time.Time
	aware bool
}

// pyTimedelta is a Python timedelta.
type pyTimedelta struct{ d time.Duration }

func timeFilters() map[string]filterSpec {
	return map[string]filterSpec{
		"strftime":    {fn: fStrftime},
		"to_datetime": {fn: fToDatetime},
	}
}

// fStrftime is Ansible's strftime(second=None, utc=False): the format
// applied to now, or to an epoch second, in local time or UTC.
func fStrftime(in any, a *fargs) (any, error) {
	if err := a.expect(2, "second", "utc"); err != nil {
		return nil, err
	}
	t := time.Now()
	if sec, ok := a.get(0, "second"); ok && sec != nil {
		f, err := fFloat(sec, &fargs{kw: []kwArg{{name: "default", val: nil}}})
		secs, isFloat := f.(float64)
		if err != nil || !isFloat || math.IsNaN(secs) || math.Abs(secs) > 1e15 {
			return nil, fmt.Errorf("Invalid value for epoch value (%s)", pyStr(sec))
		}
		t = time.Unix(int64(math.Floor(secs)), 0)
	}
	t = t.Local()
	if a.flag(1, "utc") {
		t = t.In(gmt) // time.gmtime's zone is named GMT
	}
	return strftime(pyStr(in), t, false)
}

// fToDatetime is Ansible's to_datetime(format='%Y-%m-%d %H:%M:%S'):
// Python's datetime.strptime.
func fToDatetime(in any, a *fargs) (any, error) {
	if err := a.expect(1, "format"); err != nil {
		return nil, err
	}
	format, err := a.str(0, "format", "%Y-%m-%d %H:%M:%S")
	if err != nil {
		return nil, err
	}
	s, ok := in.(string)
	if !ok {
		return nil, fmt.Errorf("strptime() argument 1 must be str, not %s", typeName(in))
	}
	return strptime(s, format)
}

var (
	gmt      = time.FixedZone("GMT", 0)
	weekdays = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	months   = []string{"January", "February", "March", "April", "May", "June", "July", "August",
		"September", "October", "November", "December"}
)

// strftime is C's strftime in the C locale, as Python's time.strftime and
// datetime.strftime call it (with glibc's - _ 0 ^ flags); withMicro
// formats %f as datetime.strftime does.
func strftime(format string, t time.Time, withMicro bool) (string, error) {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		if format[i] != '%' || i+1 >= len(format) {
			b.WriteByte(format[i])
			continue
		}
		i++
		flag := byte(0)
		if strings.IndexByte("-_0^", format[i]) >= 0 && i+1 < len(format) {
			flag, i = format[i], i+1
		}
		s, ok := strftimeField(format[i], t, withMicro)
		if !ok {
			b.WriteString("%" + string(format[i]))
			continue
		}
		b.WriteString(applyFlag(s, flag))
		if b.Len() > maxStringLen {
			return "", errTooLong
		}
	}
	return b.String(), nil
}

func applyFlag(s string, flag byte) string {
	switch flag {
	case '-':
		if t := strings.TrimLeft(s, "0 "); t != "" || s == "" {
			return t
		}
		return "0"
	case '_':
		t := strings.TrimLeft(s, "0")
		if t == "" {
			t = "0"
		}
		return strings.Repeat(" ", len(s)-len(t)) + t
	case '0':
		return strings.ReplaceAll(s, " ", "0")
	case '^':
		return strings.ToUpper(s)
	}
	return s
}

func strftimeField(c byte, t time.Time, withMicro bool) (string, bool) {
	d2 := func(n int) string { return fmt.Sprintf("%02d", n) }
	hour12 := (t.Hour()+11)%12 + 1
	isoYear, isoWeek := t.ISOWeek()
	switch c {
	case 'a':
		return weekdays[t.Weekday()][:3], true
	case 'A':
		return weekdays[t.Weekday()], true
	case 'b', 'h':
		return months[t.Month()-1][:3], true
	case 'B':
		return months[t.Month()-1], true
	case 'c':
		s, _ := strftime("%a %b %e %H:%M:%S %Y", t, false)
		return s, true
	case 'C':
		return d2(t.Year() / 100), true
	case 'd':
		return d2(t.Day()), true
	case 'D', 'x':
		s, _ := strftime("%m/%d/%y", t, false)
		return s, true
	case 'e':
		return fmt.Sprintf("%2d", t.Day()), true
	case 'f':
		return fmt.Sprintf("%06d", t.Nanosecond()/1000), withMicro
	case 'F':
		s, _ := strftime("%Y-%m-%d", t, false)
		return s, true
	case 'G':
		return strconv.Itoa(isoYear), true
	case 'g':
		return d2(isoYear % 100), true
	case 'H':
		return d2(t.Hour()), true
	case 'I':
		return d2(hour12), true
	case 'j':
		return fmt.Sprintf("%03d", t.YearDay()), true
	case 'k':
		return fmt.Sprintf("%2d", t.Hour()), true
	case 'l':
		return fmt.Sprintf("%2d", hour12), true
	case 'm':
		return d2(int(t.Month())), true
	case 'M':
		return d2(t.Minute()), true
	case 'n':
		return "\n", true
	case 'p':
		return map[bool]string{true: "AM", false: "PM"}[t.Hour() < 12], true
	case 'P':
		return map[bool]string{true: "am", false: "pm"}[t.Hour() < 12], true
	case 'r':
		s, _ := strftime("%I:%M:%S %p", t, false)
		return s, true
	case 'R':
		return d2(t.Hour()) + ":" + d2(t.Minute()), true
	case 's':
		return strconv.FormatInt(t.Unix(), 10), true
	case 'S':
		return d2(t.Second()), true
	case 't':
		return "\t", true
	case 'T', 'X':
		s, _ := strftime("%H:%M:%S", t, false)
		return s, true
	case 'u':
		return strconv.Itoa((int(t.Weekday())+6)%7 + 1), true
	case 'U':
		return d2((t.YearDay() + 6 - int(t.Weekday())) / 7), true
	case 'V':
		return d2(isoWeek), true
	case 'w':
		return strconv.Itoa(int(t.Weekday())), true
	case 'W':
		return d2((t.YearDay() + 6 - (int(t.Weekday())+6)%7) / 7), true
	case 'y':
		return d2(t.Year() % 100), true
	case 'Y':
		return strconv.Itoa(t.Year()), true
	case 'z':
		_, off := t.Zone()
		sign := '+'
		if off < 0 {
			sign, off = '-', -off
		}
		return fmt.Sprintf("%c%02d%02d", sign, off/3600, off/60%60), true
	case 'Z':
		name, _ := t.Zone()
		return name, true
	case '%':
		return "%", true
	}
	return "", false
}

// strptimeFields are the regular expressions of Python's _strptime for
// each directive.
var strptimeFields = map[byte]string{
	'd': `3[01]|[12]\d|0[1-9]|[1-9]| [1-9]`,
	'f': `[0-9]{1,6}`,
	'H': `2[0-3]|[0-1]\d|\d`,
	'I': `1[0-2]|0[1-9]|[1-9]`,
	'j': `36[0-6]|3[0-5]\d|[12]\d\d|0[1-9]\d|00[1-9]|[1-9]\d|0[1-9]|[1-9]`,
	'm': `1[0-2]|0[1-9]|[1-9]`,
	'M': `[0-5]\d|\d`,
	'S': `6[0-1]|[0-5]\d|\d`,
	'y': `\d\d`,
	'Y': `\d\d\d\d`,
	'z': `[+-]\d\d:?[0-5]\d(?::?[0-5]\d(?:\.\d{1,6})?)?|Z`,
	'a': `mon|tue|wed|thu|fri|sat|sun`,
	'A': `monday|tuesday|wednesday|thursday|friday|saturday|sunday`,
	'b': `jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec`,
	'B': `january|february|march|april|may|june|july|august|september|october|november|december`,
	'p': `am|pm`,
}

// strptime is Python's datetime.strptime for the directives above.
func strptime(s, format string) (any, error) {
	var re strings.Builder
	var order []byte
	re.WriteString(`(?i)^`)
	for i := 0; i < len(format); i++ {
		c := format[i]
		switch {
		case c == '%' && i+1 < len(format) && format[i+1] == '%':
			re.WriteString("%")
			i++
		case c == '%' && i+1 < len(format):
			i++
			field, ok := strptimeFields[format[i]]
			if !ok {
				return nil, fmt.Errorf("'%c' is a bad directive in format '%s' (ferry reads %%d %%f %%H %%I %%j %%m %%M %%S %%y %%Y %%z %%a %%A %%b %%B %%p)", format[i], format)
			}
			re.WriteString("(" + field + ")")
			order = append(order, format[i])
		case c == ' ' || c == '\t' || c == '\n':
			re.WriteString(`\s+`)
		default:
			re.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	m := regexp.MustCompile(re.String()).FindStringSubmatch(s)
	if m == nil {
		return nil, fmt.Errorf("time data %s does not match format %s", pyRepr(s), pyRepr(format))
	}
	if len(m[0]) < len(s) {
		return nil, fmt.Errorf("unconverted data remains: %s", s[len(m[0]):])
	}
	return buildDatetime(order, m[1:])
}

func buildDatetime(order []byte, vals []string) (any, error) {
	year, month, day, hour, minute, sec, micro, yday := 1900, 1, 1, 0, 0, 0, 0, 0
	pm, hasPM, hour12 := false, false, false
	var loc *time.Location
	for i, c := range order {
		v := vals[i]
		n, _ := strconv.Atoi(strings.TrimSpace(v))
		switch c {
		case 'Y':
			year = n
		case 'y':
			year = 1900 + n
			if n < 69 {
				year = 2000 + n
			}
		case 'm':
			month = n
		case 'b', 'B':
			month = monthIndex(v)
		case 'd':
			day = n
		case 'H':
			hour = n
		case 'I':
			hour, hour12 = n, true
		case 'p':
			pm, hasPM = strings.EqualFold(v, "pm"), true
		case 'M':
			minute = n
		case 'S':
			sec = n
		case 'f':
			micro, _ = strconv.Atoi((v + "00000")[:6])
		case 'j':
			yday = n
		case 'z':
			loc = parseOffset(v)
		}
	}
	if hour12 {
		hour %= 12
		if hasPM && pm {
			hour += 12
		}
	}
	if sec > 59 {
		return nil, errors.New("second must be in 0..59")
	}
	zone := time.UTC
	if loc != nil {
		zone = loc
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, micro*1000, zone)
	if yday > 0 {
		t = time.Date(year, 1, yday, hour, minute, sec, micro*1000, zone)
	}
	if t.Day() != day && yday == 0 {
		return nil, errors.New("day is out of range for month")
	}
	return pyDatetime{t: t, aware: loc != nil}, nil
}

func monthIndex(name string) int {
	for i, m := range months {
		if strings.EqualFold(m, name) || strings.EqualFold(m[:3], name) {
			return i + 1
		}
	}
	return 1
}

func parseOffset(v string) *time.Location {
	if strings.EqualFold(v, "Z") {
		return time.FixedZone("UTC", 0)
	}
	digits := strings.ReplaceAll(v[1:], ":", "")
	h, _ := strconv.Atoi(digits[0:2])
	m, _ := strconv.Atoi(digits[2:4])
	off := h*3600 + m*60
	if len(digits) >= 6 {
		s, _ := strconv.Atoi(digits[4:6])
		off += s
	}
	if v[0] == '-' {
		off = -off
	}
	return time.FixedZone("", off)
}

// String is Python's str(datetime).
func (d pyDatetime) String() string {
	s := d.t.Format("2006-01-02 15:04:05")
	if us := d.t.Nanosecond() / 1000; us != 0 {
		s += fmt.Sprintf(".%06d", us)
	}
	if d.aware {
		_, off := d.t.Zone()
		sign := "+"
		if off < 0 {
			sign, off = "-", -off
		}
		s += fmt.Sprintf("%s%02d:%02d", sign, off/3600, off/60%60)
		if off%60 != 0 {
			s += fmt.Sprintf(":%02d", off%60)
		}
	}
	return s
}

// MarshalJSON writes isoformat(), as Ansible's JSON encoder does.
func (d pyDatetime) MarshalJSON() ([]byte, error) {
	return json.Marshal(strings.Replace(d.String(), " ", "T", 1))
}

// parts are Python's normalized days, seconds (0 to 86399) and
// microseconds (0 to 999999) of a timedelta.
func (td pyTimedelta) parts() (days, secs, micros int) {
	us := int(td.d.Microseconds())
	days = floorDiv(us, 86400e6)
	rest := us - days*86400e6
	return days, rest / 1e6, rest % 1e6
}

// String is Python's str(timedelta): "3 days, 4:05:06".
func (td pyTimedelta) String() string {
	days, secs, micros := td.parts()
	s := fmt.Sprintf("%d:%02d:%02d", secs/3600, secs/60%60, secs%60)
	if micros != 0 {
		s += fmt.Sprintf(".%06d", micros)
	}
	switch {
	case days == 1 || days == -1:
		s = fmt.Sprintf("%d day, %s", days, s)
	case days != 0:
		s = fmt.Sprintf("%d days, %s", days, s)
	}
	return s
}

func (td pyTimedelta) MarshalJSON() ([]byte, error) { return json.Marshal(td.String()) }

// dateField reads a datetime's or timedelta's attribute.
func dateField(obj any, key any) (any, bool) {
	name, _ := key.(string)
	switch o := obj.(type) {
	case pyDatetime:
		switch name {
		case "year":
			return o.t.Year(), true
		case "month":
			return int(o.t.Month()), true
		case "day":
			return o.t.Day(), true
		case "hour":
			return o.t.Hour(), true
		case "minute":
			return o.t.Minute(), true
		case "second":
			return o.t.Second(), true
		case "microsecond":
			return o.t.Nanosecond() / 1000, true
		}
	case pyTimedelta:
		days, secs, micros := o.parts()
		switch name {
		case "days":
			return days, true
		case "seconds":
			return secs, true
		case "microseconds":
			return micros, true
		}
	}
	return nil, false
}

// dateMethod calls a datetime's or timedelta's method.
func dateMethod(obj any, name string, args []any) (any, bool, error) {
	switch o := obj.(type) {
	case pyDatetime:
		switch name {
		case "strftime":
			if err := argCount(name, args, 1, 1); err != nil {
				return nil, true, err
			}
			f, err := strArg(name, args[0])
			if err != nil {
				return nil, true, err
			}
			s, err := strftime(f, o.t, true)
			return s, true, err
		case "isoformat":
			sep := "T"
			if len(args) > 0 {
				sep = pyStr(args[0])
			}
			return strings.Replace(o.String(), " ", sep, 1), true, nil
		case "timestamp":
			t := o.t
			if !o.aware { // a naive datetime is local time
				t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.Local)
			}
			return float64(t.UnixMicro()) / 1e6, true, nil
		case "weekday":
			return (int(o.t.Weekday()) + 6) % 7, true, nil
		case "isoweekday":
			return (int(o.t.Weekday())+6)%7 + 1, true, nil
		}
	case pyTimedelta:
		if name == "total_seconds" {
			return float64(o.d.Microseconds()) / 1e6, true, argCount(name, args, 0, 0)
		}
	}
	return nil, false, nil
}

// dateMethods are the method names dateMethod answers, for the parser's
// list of known methods.
var dateMethods = []string{"strftime", "isoformat", "timestamp", "weekday", "isoweekday", "total_seconds"}

// dateSub is datetime - datetime (a timedelta); ok is false for other
// operands.
func dateSub(a, b any) (any, bool, error) {
	x, ok1 := a.(pyDatetime)
	y, ok2 := b.(pyDatetime)
	if !ok1 || !ok2 {
		return nil, false, nil
	}
	if x.aware != y.aware {
		return nil, true, errors.New("can't subtract offset-naive and offset-aware datetimes")
	}
	return pyTimedelta{d: x.t.Sub(y.t)}, true, nil
}

// dateCompare orders two datetimes or two timedeltas.
func dateCompare(a, b any) (int, bool) {
	switch x := a.(type) {
	case pyDatetime:
		if y, ok := b.(pyDatetime); ok && x.aware == y.aware {
			return x.t.Compare(y.t), true
		}
	case pyTimedelta:
		if y, ok := b.(pyTimedelta); ok {
			return cmpOrdered(int(x.d), int(y.d)), true
		}
	}
	return 0, false
}
