package template

import (
	"fmt"
	"maps"
	"regexp"
	"strconv"
	"strings"
)

// testFunc is a Jinja test: `value is name(args)`.
type testFunc func(v any, a *fargs) (bool, error)

type testSpec struct {
	fn   testFunc
	lazy bool // sees undefined values (defined, undefined)
}

var tests map[string]testSpec

var testAliases = map[string]string{
	"success": "succeeded", "successful": "succeeded", "failure": "failed", "change": "changed", "skip": "skipped",
	"equalto": "eq", "==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge",
	"lessthan": "lt", "greaterthan": "gt", "version_compare": "version", "regex": "search",
}

func init() {
	tests = map[string]testSpec{
		"defined":     {fn: func(v any, a *fargs) (bool, error) { return defined(v) == nil, a.expect(0) }, lazy: true},
		"undefined":   {fn: func(v any, a *fargs) (bool, error) { return defined(v) != nil, a.expect(0) }, lazy: true},
		"none":        {fn: func(v any, a *fargs) (bool, error) { return v == nil, a.expect(0) }},
		"string":      {fn: func(v any, a *fargs) (bool, error) { _, ok := v.(string); return ok, a.expect(0) }},
		"number":      {fn: func(v any, a *fargs) (bool, error) { return isNumber(v), a.expect(0) }},
		"integer":     {fn: func(v any, a *fargs) (bool, error) { return typeName(v) == "int", a.expect(0) }},
		"float":       {fn: func(v any, a *fargs) (bool, error) { return typeName(v) == "float", a.expect(0) }},
		"boolean":     {fn: func(v any, a *fargs) (bool, error) { _, ok := v.(bool); return ok, a.expect(0) }},
		"true":        {fn: func(v any, a *fargs) (bool, error) { return v == true, a.expect(0) }},
		"false":       {fn: func(v any, a *fargs) (bool, error) { return v == false, a.expect(0) }},
		"mapping":     {fn: func(v any, a *fargs) (bool, error) { _, ok := asMap(v); return ok, a.expect(0) }},
		"sequence":    {fn: isIterable},
		"iterable":    {fn: isIterable},
		"truthy":      {fn: func(v any, a *fargs) (bool, error) { return truthy(v), a.expect(0, "convert_bool") }},
		"falsy":       {fn: func(v any, a *fargs) (bool, error) { return !truthy(v), a.expect(0, "convert_bool") }},
		"lower":       {fn: func(v any, a *fargs) (bool, error) { s := pyStr(v); return strings.ToLower(s) == s, nil }},
		"upper":       {fn: func(v any, a *fargs) (bool, error) { s := pyStr(v); return strings.ToUpper(s) == s, nil }},
		"succeeded":   {fn: resultTest("failed", true)},
		"failed":      {fn: resultTest("failed", false)},
		"changed":     {fn: resultTest("changed", false)},
		"skipped":     {fn: resultTest("skipped", false)},
		"unreachable": {fn: resultTest("unreachable", false)},
		"reachable":   {fn: resultTest("unreachable", true)},
		"started":     {fn: asyncTest("started")},
		"finished":    {fn: asyncTest("finished")},
		"match":       {fn: regexTest(true)},
		"search":      {fn: regexTest(false)},
		"version":     {fn: testVersion},
		"in":          {fn: func(v any, a *fargs) (bool, error) { return contains(a.or(0, "seq", nil), v) }},
		"contains":    {fn: func(v any, a *fargs) (bool, error) { return contains(v, a.or(0, "seq", nil)) }},
		"eq":          {fn: func(v any, a *fargs) (bool, error) { return equal(v, a.or(0, "other", nil)), nil }},
		"ne":          {fn: func(v any, a *fargs) (bool, error) { return !equal(v, a.or(0, "other", nil)), nil }},
		"sameas":      {fn: func(v any, a *fargs) (bool, error) { return sameAs(v, a.or(0, "other", nil)), nil }},
		"lt":          {fn: orderTest(func(c int) bool { return c < 0 })},
		"le":          {fn: orderTest(func(c int) bool { return c <= 0 })},
		"gt":          {fn: orderTest(func(c int) bool { return c > 0 })},
		"ge":          {fn: orderTest(func(c int) bool { return c >= 0 })},
		"even":        {fn: parityTest(0)},
		"odd":         {fn: parityTest(1)},
		"divisibleby": {fn: func(v any, a *fargs) (bool, error) {
			n, _, isInt, ok := number(v)
			d, err := a.integer(0, "num", 0)
			if !ok || !isInt || err != nil || d == 0 {
				return false, fmt.Errorf("divisibleby needs integers and a non-zero divisor")
			}
			return n%d == 0, nil
		}},
		"subset":   {fn: setTest(true)},
		"superset": {fn: setTest(false)},
		"all":      {fn: allAny(true)},
		"any":      {fn: allAny(false)},
	}
	maps.Copy(tests, pathTests())
	maps.Copy(testAliases, pathTestAliases)
}

func isIterable(v any, a *fargs) (bool, error) {
	if _, ok := v.(string); ok {
		return true, a.expect(0)
	}
	_, isList := asList(v)
	_, isMap := asMap(v)
	return isList || isMap, a.expect(0)
}

// sameAs is Python's `is`: identity for None and bools, equality otherwise.
func sameAs(a, b any) bool {
	switch a.(type) {
	case nil, bool:
		return a == b
	}
	return equal(a, b) && typeName(a) == typeName(b)
}

// resultTest reads a registered task result: `result is failed` is
// result.failed; succeeded is its negation.
func resultTest(field string, negate bool) testFunc {
	return func(v any, a *fargs) (bool, error) {
		if err := a.expect(0); err != nil {
			return false, err
		}
		m, ok := asMap(v)
		if !ok {
			return false, fmt.Errorf("the '%s' test expects a registered task result (a dictionary), got '%s'", field, typeName(v))
		}
		return truthy(m[field]) != negate, nil
	}
}

// asyncTest reads an async task's status (started, finished: 0 or 1); a
// result without it is not async and counts as started and finished, as in
// Ansible.
func asyncTest(field string) testFunc {
	return func(v any, a *fargs) (bool, error) {
		if err := a.expect(0); err != nil {
			return false, err
		}
		m, ok := asMap(v)
		if !ok {
			return false, fmt.Errorf("the '%s' test expects a dictionary", field)
		}
		s, ok := m[field]
		return !ok || equal(s, 1), nil
	}
}

func regexTest(anchored bool) testFunc {
	return func(v any, a *fargs) (bool, error) {
		if err := a.expect(1, "pattern", "ignorecase", "multiline"); err != nil {
			return false, err
		}
		re, err := regexArg(a, 0, "pattern")
		if err != nil {
			return false, err
		}
		loc := re.FindStringIndex(pyStr(v))
		// The leftmost match starts at 0 whenever any match does.
		return loc != nil && (!anchored || loc[0] == 0), nil
	}
}

func orderTest(ok func(int) bool) testFunc {
	return func(v any, a *fargs) (bool, error) {
		c, err := compare(v, a.or(0, "other", nil))
		return err == nil && ok(c), err
	}
}

func parityTest(rem int) testFunc {
	return func(v any, a *fargs) (bool, error) {
		n, _, isInt, ok := number(v)
		if !ok || !isInt {
			return false, fmt.Errorf("even/odd needs an integer, got '%s'", typeName(v))
		}
		return (n%2+2)%2 == rem, nil
	}
}

func setTest(subset bool) testFunc {
	return func(v any, a *fargs) (bool, error) {
		l1, ok1 := asList(v)
		l2, ok2 := asList(a.or(0, "other", nil))
		if !ok1 || !ok2 {
			return false, fmt.Errorf("subset/superset need two lists")
		}
		if !subset {
			l1, l2 = l2, l1
		}
		in2 := keySet(l2)
		for _, x := range l1 {
			if !in2[hashKey(x)] {
				return false, nil
			}
		}
		return true, nil
	}
}

func allAny(all bool) testFunc {
	return func(v any, a *fargs) (bool, error) {
		items, err := iterate(v)
		if err != nil {
			return false, err
		}
		for _, x := range items {
			if truthy(x) != all {
				return !all, nil
			}
		}
		return all, nil
	}
}

var versionOps = map[string]func(int) bool{
	"<": func(c int) bool { return c < 0 }, "lt": func(c int) bool { return c < 0 },
	"<=": func(c int) bool { return c <= 0 }, "le": func(c int) bool { return c <= 0 },
	">": func(c int) bool { return c > 0 }, "gt": func(c int) bool { return c > 0 },
	">=": func(c int) bool { return c >= 0 }, "ge": func(c int) bool { return c >= 0 },
	"==": func(c int) bool { return c == 0 }, "=": func(c int) bool { return c == 0 }, "eq": func(c int) bool { return c == 0 },
	"!=": func(c int) bool { return c != 0 }, "<>": func(c int) bool { return c != 0 }, "ne": func(c int) bool { return c != 0 },
}

// testVersion is Ansible's version test with loose version ordering:
// `ver is version('1.2', '>=')`.
func testVersion(v any, a *fargs) (bool, error) {
	if err := a.expect(2, "version", "operator", "strict", "version_type"); err != nil {
		return false, err
	}
	other, ok := a.get(0, "version")
	if !ok {
		return false, fmt.Errorf("the version test needs a version to compare with")
	}
	opName, err := a.str(1, "operator", "eq")
	if err != nil {
		return false, err
	}
	op, ok := versionOps[opName]
	if !ok {
		return false, fmt.Errorf("invalid version operator '%s' (use <, <=, >, >=, ==, != or lt, le, gt, ge, eq, ne)", opName)
	}
	return op(compareVersions(pyStr(v), pyStr(other))), nil
}

var versionPart = regexp.MustCompile(`\d+|[A-Za-z]+`)

// compareVersions orders loose versions part by part: numbers numerically,
// words alphabetically and before numbers (1.0rc1 < 1.0.1), and a version
// with more parts after equal ones is larger.
func compareVersions(a, b string) int {
	pa := versionPart.FindAllString(strings.TrimPrefix(a, "v"), -1)
	pb := versionPart.FindAllString(strings.TrimPrefix(b, "v"), -1)
	for i := 0; i < len(pa) && i < len(pb); i++ {
		na, errA := strconv.Atoi(pa[i])
		nb, errB := strconv.Atoi(pb[i])
		var c int
		switch {
		case errA == nil && errB == nil:
			c = cmpOrdered(na, nb)
		case errA == nil:
			c = 1
		case errB == nil:
			c = -1
		default:
			c = strings.Compare(pa[i], pb[i])
		}
		if c != 0 {
			return c
		}
	}
	return cmpOrdered(len(pa), len(pb))
}
