package template

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"html"
	"maps"
	"math"
	"strconv"
	"strings"

	"github.com/ferry-sh/ferry/internal/keyorder"
	"github.com/ferry-sh/ferry/internal/shellquote"
)

// filterFunc applies a filter to in with the call's other arguments.
type filterFunc func(in any, a *fargs) (any, error)

type filterSpec struct {
	fn   filterFunc
	lazy bool // receives an undefined input instead of failing on it
}

// filters is filled in init: select and map refer back to it.
var filters map[string]filterSpec

// filterAliases maps alternative names to the canonical filter.
var filterAliases = map[string]string{
	"d": "default", "count": "length", "tojson": "to_json", "e": "escape",
	"version_compare": "version", "sha1": "checksum",
}

func init() {
	filters = map[string]filterSpec{
		"default":                {fn: fDefault, lazy: true},
		"mandatory":              {fn: fMandatory, lazy: true},
		"int":                    {fn: fInt},
		"float":                  {fn: fFloat},
		"bool":                   {fn: fBool},
		"string":                 {fn: func(in any, a *fargs) (any, error) { return pyStr(in), a.expect(0) }},
		"lower":                  {fn: stringFilter(strings.ToLower)},
		"upper":                  {fn: stringFilter(strings.ToUpper)},
		"capitalize":             {fn: stringFilter(capitalize)},
		"title":                  {fn: stringFilter(title)},
		"trim":                   {fn: fTrim},
		"length":                 {fn: fLength},
		"join":                   {fn: fJoin},
		"split":                  {fn: fSplit},
		"replace":                {fn: fReplace},
		"basename":               {fn: stringFilter(basename)},
		"dirname":                {fn: stringFilter(dirname)},
		"b64encode":              {fn: stringFilter(func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) })},
		"b64decode":              {fn: fB64decode},
		"escape":                 {fn: stringFilter(html.EscapeString)},
		"quote":                  {fn: stringFilter(shellquote.PythonQuote)},
		"to_json":                {fn: fToJSON},
		"to_nice_json":           {fn: fToNiceJSON},
		"from_json":              {fn: fFromJSON},
		"to_yaml":                {fn: fToYAML(2)},
		"to_nice_yaml":           {fn: fToYAML(4)},
		"from_yaml":              {fn: fFromYAML},
		"regex_search":           {fn: fRegexSearch},
		"regex_replace":          {fn: fRegexReplace},
		"regex_findall":          {fn: fRegexFindall},
		"regex_escape":           {fn: stringFilter(regexEscape)},
		"first":                  {fn: fFirstLast(true)},
		"last":                   {fn: fFirstLast(false)},
		"unique":                 {fn: fUnique},
		"sort":                   {fn: fSort},
		"min":                    {fn: fMinMax(-1)},
		"max":                    {fn: fMinMax(1)},
		"list":                   {fn: fList},
		"reverse":                {fn: fReverse},
		"flatten":                {fn: fFlatten},
		"sum":                    {fn: fSum},
		"dict2items":             {fn: fDict2Items},
		"items2dict":             {fn: fItems2Dict},
		"items":                  {fn: fItems},
		"dictsort":               {fn: fItems},
		"combine":                {fn: fCombine},
		"select":                 {fn: fSelect(false, false)},
		"reject":                 {fn: fSelect(true, false)},
		"selectattr":             {fn: fSelect(false, true)},
		"rejectattr":             {fn: fSelect(true, true)},
		"map":                    {fn: fMap},
		"difference":             {fn: fSetOp("difference")},
		"intersect":              {fn: fSetOp("intersect")},
		"union":                  {fn: fSetOp("union")},
		"symmetric_difference":   {fn: fSetOp("symmetric_difference")},
		"hash":                   {fn: fHash},
		"checksum":               {fn: func(in any, a *fargs) (any, error) { return hashString("sha1", pyStr(in)) }},
		"md5":                    {fn: func(in any, a *fargs) (any, error) { return hashString("md5", pyStr(in)) }},
		"abs":                    {fn: fAbs},
		"round":                  {fn: fRound},
		"ternary":                {fn: fTernary},
		"indent":                 {fn: fIndent},
		"format":                 {fn: fFormat},
		"type_debug":             {fn: func(in any, a *fargs) (any, error) { return typeName(in), nil }},
		"path_join":              {fn: fPathJoin},
		"version":                {fn: func(in any, a *fargs) (any, error) { return testVersion(in, a) }},
		"community.general.dict": {fn: fCollectionDict},
	}
	for _, more := range []map[string]filterSpec{seqFilters(), textFilters(), timeFilters(), wrapURLFilters()} {
		maps.Copy(filters, more)
	}
}

// unsupportedFilters are Ansible, collection or Jinja filters that ferry
// does not implement, with what to do instead; naming them gives a clearer
// error than "unknown". Collection filters are known by their last name
// part (ansible.utils.ipaddr is ipaddr).
var unsupportedFilters = map[string]string{
	"ipaddr": hintIPAddr, "ipv4": hintIPAddr, "ipv6": hintIPAddr, "ipwrap": hintIPAddr, "ipmath": hintIPAddr,
	"ipsubnet": hintIPAddr, "nthhost": hintIPAddr, "network_in_usable": hintIPAddr, "network_in_network": hintIPAddr,
	"json_query": "community.general.json_query (JMESPath) is a collection filter that ferry does not have: " +
		"select with selectattr('key', 'equalto', value) and map(attribute='key')",
	"random_mac":               "community.general.random_mac is a collection filter that ferry does not have",
	"k8s_config_resource_name": "kubernetes.core's filter is not in ferry",
	"xmlattr":                  "", "urlize": "", "striptags": "", "pprint": "", "safe": "",
	"forceescape": "", "filesizeformat": "use human_readable", "attr": "read the key: x.name or x['name']",
	"vault": "encrypt with `ferry vault encrypt_string`", "unvault": "put the value in a vaulted vars file",
	"win_basename": "", "win_dirname": "", "win_splitdrive": "", "bool_type": "",
}

const hintIPAddr = "ansible.utils' ip filters are a collection's (they need Python's netaddr) and ferry does not have them: " +
	"write the address or network in the inventory, or take it apart with split('/') or regex_search"

func unsupportedHint(name string) string {
	hint, ok := unsupportedFilters[name[strings.LastIndexByte(name, '.')+1:]]
	switch {
	case !ok:
		return ""
	case hint == "":
		return ": ferry does not implement it"
	}
	return ": " + hint
}

func stringFilter(f func(string) string) filterFunc {
	return func(in any, a *fargs) (any, error) {
		return f(pyStr(in)), a.expect(0)
	}
}

func fDefault(in any, a *fargs) (any, error) {
	if err := a.expect(2, "default_value", "boolean"); err != nil {
		return nil, err
	}
	_, isUndef := in.(*undefined)
	if isUndef || (a.flag(1, "boolean") && !truthy(in)) {
		return a.or(0, "default_value", ""), nil
	}
	return in, nil
}

func fMandatory(in any, a *fargs) (any, error) {
	u, isUndef := in.(*undefined)
	if !isUndef {
		return in, a.expect(1, "msg")
	}
	if msg, _ := a.str(0, "msg", ""); msg != "" {
		return nil, errors.New(msg)
	}
	return nil, &UndefinedError{Name: u.name, Msg: fmt.Sprintf("Mandatory variable '%s' not defined. (%s)", u.name, u.msg)}
}

// fInt is Jinja's int filter: unparsable input gives the default (0).
func fInt(in any, a *fargs) (any, error) {
	if err := a.expect(2, "default", "base"); err != nil {
		return nil, err
	}
	def := a.or(0, "default", 0)
	base, err := a.integer(1, "base", 10)
	if err != nil {
		return nil, err
	}
	if i, f, isInt, ok := number(in); ok {
		if isInt {
			return i, nil
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return def, nil
		}
		return int(f), nil
	}
	s, ok := in.(string)
	if !ok {
		return def, nil
	}
	s = strings.ReplaceAll(strings.TrimSpace(s), "_", "")
	if base == 16 || base == 8 || base == 2 {
		s = strings.TrimPrefix(strings.TrimPrefix(strings.ToLower(s), "0"), map[int]string{16: "x", 8: "o", 2: "b"}[base])
	}
	if n, err := strconv.ParseInt(s, base, 64); err == nil {
		return int(n), nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && base == 10 && !math.IsNaN(f) && !math.IsInf(f, 0) {
		return int(f), nil
	}
	return def, nil
}

func fFloat(in any, a *fargs) (any, error) {
	if err := a.expect(1, "default"); err != nil {
		return nil, err
	}
	if _, f, _, ok := number(in); ok {
		return f, nil
	}
	if s, ok := in.(string); ok {
		if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
			return f, nil
		}
	}
	return a.or(0, "default", 0.0), nil
}

// fBool is Ansible's bool filter: yes/on/1/true (any case) are true.
func fBool(in any, a *fargs) (any, error) {
	if err := a.expect(0); err != nil {
		return nil, err
	}
	switch x := in.(type) {
	case bool:
		return x, nil
	case nil:
		return false, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "yes", "on", "1", "true", "y", "t":
			return true, nil
		}
		return false, nil
	}
	if _, f, _, ok := number(in); ok {
		return f == 1, nil
	}
	return false, nil
}

func title(s string) string {
	var b strings.Builder
	prevLetter := false
	for _, r := range s {
		isLetter := strings.ContainsRune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", r) || r > 127
		if isLetter && !prevLetter {
			b.WriteString(strings.ToUpper(string(r)))
		} else {
			b.WriteString(strings.ToLower(string(r)))
		}
		prevLetter = isLetter
	}
	return b.String()
}

func fTrim(in any, a *fargs) (any, error) {
	if err := a.expect(1, "chars"); err != nil {
		return nil, err
	}
	chars, err := a.str(0, "chars", "")
	if err != nil {
		return nil, err
	}
	if chars == "" {
		return strings.TrimSpace(pyStr(in)), nil
	}
	return strings.Trim(pyStr(in), chars), nil
}

func fLength(in any, a *fargs) (any, error) {
	if s, ok := in.(string); ok {
		return len([]rune(s)), nil
	}
	if l, ok := asList(in); ok {
		return len(l), nil
	}
	if m, ok := asMap(in); ok {
		return len(m), nil
	}
	return nil, fmt.Errorf("object of type '%s' has no len()", typeName(in))
}

func fJoin(in any, a *fargs) (any, error) {
	if err := a.expect(1, "d"); err != nil {
		return nil, err
	}
	sep, err := a.str(0, "d", "")
	if err != nil {
		return nil, err
	}
	return joinValues(in, sep)
}

func fSplit(in any, a *fargs) (any, error) {
	if err := a.expect(1, "sep"); err != nil {
		return nil, err
	}
	return splitString(pyStr(in), a.or(0, "sep", nil))
}

func fReplace(in any, a *fargs) (any, error) {
	if err := a.expect(3, "old", "new", "count"); err != nil {
		return nil, err
	}
	old, err := a.str(0, "old", "")
	if err != nil {
		return nil, err
	}
	repl, err := a.str(1, "new", "")
	if err != nil {
		return nil, err
	}
	count, err := a.integer(2, "count", -1)
	if err != nil {
		return nil, err
	}
	s := pyStr(in)
	if old == "" && len(s) > maxStringLen/(len(repl)+1) {
		return nil, errTooLong
	}
	return strings.Replace(s, old, repl, count), nil
}

// basename and dirname follow Python's os.path: "a/b/" has basename "".
func basename(p string) string { return p[strings.LastIndexByte(p, '/')+1:] }

func dirname(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return ""
	}
	head := p[:i+1]
	if trimmed := strings.TrimRight(head, "/"); trimmed != "" {
		return trimmed
	}
	return head
}

func fB64decode(in any, a *fargs) (any, error) {
	s := strings.TrimSpace(pyStr(in))
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "=")); err != nil {
			return nil, fmt.Errorf("invalid base64 input: %v", err)
		}
	}
	return string(b), nil
}

func fFirstLast(first bool) filterFunc {
	return func(in any, a *fargs) (any, error) {
		items, err := iterate(in)
		if err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return &undefined{msg: "no first or last item: the sequence is empty"}, nil
		}
		if first {
			return items[0], nil
		}
		return items[len(items)-1], nil
	}
}

// hashKey identifies a value for unique and the set filters.
func hashKey(v any) string { return typeName(v) + ":" + pyRepr(v) }

func fUnique(in any, a *fargs) (any, error) {
	items, err := iterate(in)
	if err != nil {
		return nil, err
	}
	return uniqueItems(items), nil
}

func uniqueItems(items []any) []any {
	seen := map[string]bool{}
	out := []any{}
	for _, v := range items {
		k := pyRepr(v)
		if isNumber(v) {
			_, f, _, _ := number(v)
			k = "n:" + pyFloat(f) // 1 and 1.0 are the same item
		}
		if !seen[k] {
			seen[k] = true
			out = append(out, v)
		}
	}
	return out
}

// sortKey prepares a value for ordering: an attribute of it, lowercased
// unless case_sensitive.
func sortKey(v any, attr string, caseSensitive bool) (any, error) {
	if attr != "" {
		var err error
		if v, err = attrPath(v, attr); err != nil {
			return nil, err
		}
	}
	if s, ok := v.(string); ok && !caseSensitive {
		return strings.ToLower(s), nil
	}
	return v, nil
}

func fSort(in any, a *fargs) (any, error) {
	if err := a.expect(3, "reverse", "case_sensitive", "attribute"); err != nil {
		return nil, err
	}
	items, err := iterate(in)
	if err != nil {
		return nil, err
	}
	attr, err := a.str(2, "attribute", "")
	if err != nil {
		return nil, err
	}
	keys := make([]any, len(items))
	for i, v := range items {
		if keys[i], err = sortKey(v, attr, a.flag(1, "case_sensitive")); err != nil {
			return nil, err
		}
	}
	var cmpErr error
	idx := sortedIndex(keys, a.flag(0, "reverse"), &cmpErr)
	out := make([]any, len(items))
	for i, j := range idx {
		out[i] = items[j]
	}
	return out, cmpErr
}

func fMinMax(sign int) filterFunc {
	return func(in any, a *fargs) (any, error) {
		if err := a.expect(0, "attribute", "case_sensitive"); err != nil {
			return nil, err
		}
		items, err := iterate(in)
		if err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return &undefined{msg: "no min or max item: the sequence is empty"}, nil
		}
		attr, err := a.str(-1, "attribute", "")
		if err != nil {
			return nil, err
		}
		best := 0
		bestKey, err := sortKey(items[0], attr, a.flag(-1, "case_sensitive"))
		for i := 1; i < len(items) && err == nil; i++ {
			var k any
			if k, err = sortKey(items[i], attr, a.flag(-1, "case_sensitive")); err != nil {
				break
			}
			var c int
			if c, err = compare(k, bestKey); err == nil && c*sign > 0 {
				best, bestKey = i, k
			}
		}
		return items[best], err
	}
}

func fList(in any, a *fargs) (any, error) {
	items, err := iterate(in)
	if err != nil {
		return nil, err
	}
	return append([]any{}, items...), nil
}

func fReverse(in any, a *fargs) (any, error) {
	items, err := iterate(in)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(items))
	for i, v := range items {
		out[len(items)-1-i] = v
	}
	if _, isStr := in.(string); isStr {
		return hConcat(out...)
	}
	return out, nil
}

func fFlatten(in any, a *fargs) (any, error) {
	if err := a.expect(1, "levels", "skip_nulls"); err != nil {
		return nil, err
	}
	levels, err := a.integer(0, "levels", -1)
	if err != nil {
		return nil, err
	}
	items, ok := asList(in)
	if !ok {
		return nil, fmt.Errorf("expects a list, got '%s'", typeName(in))
	}
	skipNulls := truthy(a.or(-1, "skip_nulls", true))
	return flatten(items, levels, skipNulls, 0), nil
}

func flatten(items []any, levels int, skipNulls bool, depth int) []any {
	out := []any{}
	for _, v := range items {
		if sub, ok := asList(v); ok && levels != 0 && depth < maxDepth {
			out = append(out, flatten(sub, levels-1, skipNulls, depth+1)...)
		} else if v != nil || !skipNulls {
			out = append(out, v)
		}
	}
	return out
}

func fSum(in any, a *fargs) (any, error) {
	if err := a.expect(2, "attribute", "start"); err != nil {
		return nil, err
	}
	items, err := iterate(in)
	if err != nil {
		return nil, err
	}
	attr, err := a.str(0, "attribute", "")
	if err != nil {
		return nil, err
	}
	total := a.or(1, "start", 0)
	for _, v := range items {
		if attr != "" {
			if v, err = attrPath(v, attr); err != nil {
				return nil, err
			}
		}
		if total, err = hAdd(total, v); err != nil {
			return nil, err
		}
	}
	return total, nil
}

func fDict2Items(in any, a *fargs) (any, error) {
	if err := a.expect(0, "key_name", "value_name"); err != nil {
		return nil, err
	}
	m, ok := asMap(in)
	if !ok {
		return nil, fmt.Errorf("dict2items requires a dictionary, got '%s'", typeName(in))
	}
	kn, _ := a.str(-1, "key_name", "key")
	vn, _ := a.str(-1, "value_name", "value")
	out := []any{}
	for _, k := range dictKeys(m) {
		out = append(out, pair(kn, k, vn, m[k]))
	}
	return out, nil
}

func fItems2Dict(in any, a *fargs) (any, error) {
	if err := a.expect(0, "key_name", "value_name"); err != nil {
		return nil, err
	}
	items, ok := asList(in)
	if !ok {
		return nil, fmt.Errorf("items2dict requires a list, got '%s'", typeName(in))
	}
	kn, _ := a.str(-1, "key_name", "key")
	vn, _ := a.str(-1, "value_name", "value")
	out := keyorder.NewBuilder(len(items))
	for _, item := range items {
		m, ok := asMap(item)
		if !ok {
			return nil, fmt.Errorf("items2dict requires a list of dictionaries, got an item of type '%s'", typeName(item))
		}
		k, hasKey := m[kn]
		v, hasVal := m[vn]
		if !hasKey || !hasVal {
			return nil, fmt.Errorf("items2dict: item %s lacks '%s' or '%s'", pyRepr(item), kn, vn)
		}
		out.Put(pyStr(k), v)
	}
	return out.Map(), nil
}

// fItems is dict.items() as a filter (also dictsort): [key, value] pairs
// in key order.
func fItems(in any, a *fargs) (any, error) {
	m, ok := asMap(in)
	if !ok {
		return nil, fmt.Errorf("expects a dictionary, got '%s'", typeName(in))
	}
	return mapMethod(m, "items", nil)
}

func fCombine(in any, a *fargs) (any, error) {
	if err := a.expect(-1, "recursive", "list_merge"); err != nil {
		return nil, err
	}
	listMerge, err := a.str(-1, "list_merge", "replace")
	if err != nil {
		return nil, err
	}
	if !map[string]bool{"replace": true, "keep": true, "append": true, "prepend": true}[listMerge] {
		return nil, fmt.Errorf("list_merge '%s' is not supported (replace, keep, append, prepend)", listMerge)
	}
	dicts := []any{in}
	for _, p := range a.pos {
		if l, ok := asList(p); ok {
			dicts = append(dicts, l...)
		} else {
			dicts = append(dicts, p)
		}
	}
	if l, ok := asList(in); ok {
		dicts = append(l, dicts[1:]...)
	}
	out := map[string]any{}
	for _, d := range dicts {
		m, ok := asMap(d)
		if !ok {
			return nil, fmt.Errorf("combine expects dictionaries, got '%s'", typeName(d))
		}
		out = merge(out, m, a.flag(-1, "recursive"), listMerge, 0)
	}
	return out, nil
}

func merge(dst, src map[string]any, recursive bool, listMerge string, depth int) map[string]any {
	out := make(map[string]any, len(dst)+len(src))
	keys := dictKeys(dst)
	for _, k := range keys {
		out[k] = dst[k]
	}
	for _, k := range dictKeys(src) {
		v := src[k]
		if _, had := out[k]; !had {
			keys = append(keys, k)
		}
		old, exists := out[k]
		oldMap, oldIsMap := asMap(old)
		newMap, newIsMap := asMap(v)
		oldList, oldIsList := asList(old)
		newList, newIsList := asList(v)
		switch {
		case exists && recursive && oldIsMap && newIsMap && depth < maxDepth:
			out[k] = merge(oldMap, newMap, recursive, listMerge, depth+1)
		case exists && oldIsList && newIsList && listMerge == "keep":
		case exists && oldIsList && newIsList && listMerge == "append":
			out[k] = append(append([]any{}, oldList...), newList...)
		case exists && oldIsList && newIsList && listMerge == "prepend":
			out[k] = append(append([]any{}, newList...), oldList...)
		default:
			out[k] = v
		}
	}
	keyorder.Set(out, keys)
	return out
}

// attrPath reads a dotted attribute path (a.b.0) of v, as selectattr and
// map(attribute=) do; a missing attribute is an undefined value.
func attrPath(v any, path string) (any, error) {
	for _, part := range strings.Split(path, ".") {
		var key any = part
		if n, err := strconv.Atoi(part); err == nil {
			if _, isList := asList(v); isList {
				key = n
			}
		}
		r, err := hGet(v, key, "item")
		if err != nil {
			return nil, err
		}
		v = r
	}
	return v, nil
}

// fSelect is select/reject (a test on each item) and selectattr/rejectattr
// (a test on an attribute of each item).
func fSelect(reject, byAttr bool) filterFunc {
	return func(in any, a *fargs) (any, error) {
		items, err := iterate(in)
		if err != nil {
			return nil, err
		}
		pos := a.pos
		attr := ""
		if byAttr {
			if len(pos) == 0 {
				return nil, errors.New("missing the attribute name")
			}
			if attr, err = strArg("selectattr", pos[0]); err != nil {
				return nil, err
			}
			pos = pos[1:]
		}
		test := func(v any) (bool, error) { return truthy(v) && defined(v) == nil, nil }
		if len(pos) > 0 {
			if test, err = testByName(pos[0], &fargs{pos: pos[1:], kw: a.kw}); err != nil {
				return nil, err
			}
		}
		out := []any{}
		for _, item := range items {
			v := item
			if byAttr {
				if v, err = attrPath(item, attr); err != nil {
					return nil, err
				}
			}
			ok, err := test(v)
			if err != nil {
				return nil, err
			}
			if ok != reject {
				out = append(out, item)
			}
		}
		return out, nil
	}
}

// testByName resolves a test named by a string argument (select('match', 'x')).
func testByName(name any, a *fargs) (func(any) (bool, error), error) {
	n, ok := name.(string)
	if !ok {
		return nil, fmt.Errorf("the test name must be a string, not '%s'", typeName(name))
	}
	if canon, ok := testAliases[n]; ok {
		n = canon
	}
	spec, ok := tests[n]
	if !ok {
		return nil, fmt.Errorf("unknown test '%s'", n)
	}
	args := &fargs{pos: append([]any{}, a.pos...), kw: a.kw}
	return func(v any) (bool, error) {
		if !spec.lazy {
			if err := defined(v); err != nil {
				return false, err
			}
		}
		return spec.fn(v, args)
	}, nil
}

// fMap is map('filter', args...) or map(attribute='x', default=y).
func fMap(in any, a *fargs) (any, error) {
	items, err := iterate(in)
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, len(items))
	if attr, ok := a.get(-1, "attribute"); ok && len(a.pos) == 0 {
		path, err := strArg("map", attr)
		if err != nil {
			return nil, err
		}
		def, hasDef := a.get(-1, "default")
		for _, item := range items {
			v, err := attrPath(item, path)
			if err != nil {
				return nil, err
			}
			if _, undef := v.(*undefined); undef && hasDef {
				v = def
			}
			out = append(out, v)
		}
		return out, nil
	}
	if len(a.pos) == 0 {
		return nil, errors.New("map needs a filter name or attribute=")
	}
	name, err := strArg("map", a.pos[0])
	if err != nil {
		return nil, err
	}
	if canon, ok := filterAliases[name]; ok {
		name = canon
	}
	spec, ok := filters[name]
	if !ok {
		return nil, fmt.Errorf("unknown filter '%s'", name)
	}
	args := &fargs{pos: append([]any{}, a.pos[1:]...), kw: a.kw}
	for _, item := range items {
		if !spec.lazy {
			if err := defined(item); err != nil {
				return nil, err
			}
		}
		v, err := spec.fn(item, args)
		if err != nil {
			return nil, fmt.Errorf("filter '%s': %w", name, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// fSetOp implements Ansible's list set filters, keeping first-seen order.
func fSetOp(op string) filterFunc {
	return func(in any, a *fargs) (any, error) {
		if err := a.expect(1); err != nil {
			return nil, err
		}
		l1, ok1 := asList(in)
		l2, ok2 := asList(a.or(0, "", nil))
		if !ok1 || !ok2 {
			return nil, errors.New("expects two lists")
		}
		in1, in2 := keySet(l1), keySet(l2)
		var out []any
		switch op {
		case "union":
			out = append(append([]any{}, l1...), l2...)
		case "intersect":
			out = filterItems(l1, func(k string) bool { return in2[k] })
		case "difference":
			out = filterItems(l1, func(k string) bool { return !in2[k] })
		default:
			out = append(filterItems(l1, func(k string) bool { return !in2[k] }),
				filterItems(l2, func(k string) bool { return !in1[k] })...)
		}
		return uniqueItems(out), nil
	}
}

func keySet(l []any) map[string]bool {
	s := make(map[string]bool, len(l))
	for _, v := range l {
		s[hashKey(v)] = true
	}
	return s
}

func filterItems(l []any, keep func(string) bool) []any {
	out := []any{}
	for _, v := range l {
		if keep(hashKey(v)) {
			out = append(out, v)
		}
	}
	return out
}

func fHash(in any, a *fargs) (any, error) {
	if err := a.expect(1, "hashtype"); err != nil {
		return nil, err
	}
	algo, err := a.str(0, "hashtype", "sha1")
	if err != nil {
		return nil, err
	}
	return hashString(algo, pyStr(in))
}

func hashString(algo, s string) (any, error) {
	var h hash.Hash
	switch algo {
	case "md5":
		h = md5.New()
	case "sha1":
		h = sha1.New()
	case "sha224":
		h = sha256.New224()
	case "sha256":
		h = sha256.New()
	case "sha384":
		h = sha512.New384()
	case "sha512":
		h = sha512.New()
	default:
		return nil, fmt.Errorf("unsupported hash type '%s' (md5, sha1, sha224, sha256, sha384, sha512)", algo)
	}
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil)), nil
}

func fAbs(in any, a *fargs) (any, error) {
	i, f, isInt, ok := number(in)
	if !ok {
		return nil, fmt.Errorf("bad operand type for abs(): '%s'", typeName(in))
	}
	if isInt {
		return max(i, -i), nil
	}
	return math.Abs(f), nil
}

// fRound is Jinja's round: a float, half away from zero by default.
func fRound(in any, a *fargs) (any, error) {
	if err := a.expect(2, "precision", "method"); err != nil {
		return nil, err
	}
	_, f, _, ok := number(in)
	if !ok {
		return nil, fmt.Errorf("round expects a number, got '%s'", typeName(in))
	}
	prec, err := a.integer(0, "precision", 0)
	if err != nil {
		return nil, err
	}
	method, err := a.str(1, "method", "common")
	if err != nil {
		return nil, err
	}
	scale := math.Pow(10, float64(min(max(prec, -20), 20)))
	switch method {
	case "common":
		return math.Round(f*scale) / scale, nil
	case "ceil":
		return math.Ceil(f*scale) / scale, nil
	case "floor":
		return math.Floor(f*scale) / scale, nil
	}
	return nil, fmt.Errorf("method must be common, ceil or floor, not '%s'", method)
}

func fTernary(in any, a *fargs) (any, error) {
	if err := a.expect(3, "true_val", "false_val", "none_val"); err != nil {
		return nil, err
	}
	if in == nil {
		if v, ok := a.get(2, "none_val"); ok {
			return v, nil
		}
	}
	if truthy(in) {
		return a.or(0, "true_val", nil), nil
	}
	return a.or(1, "false_val", nil), nil
}

// fIndent is Jinja's indent: every line but the first (unless first=true)
// is indented; blank lines only with blank=true.
func fIndent(in any, a *fargs) (any, error) {
	if err := a.expect(3, "width", "first", "blank"); err != nil {
		return nil, err
	}
	pad := "    "
	if w, ok := a.get(0, "width"); ok {
		if s, isStr := w.(string); isStr {
			pad = s
		} else if n, _, isInt, ok := number(w); ok && isInt {
			pad = strings.Repeat(" ", min(max(n, 0), 1024))
		}
	}
	lines := strings.Split(pyStr(in), "\n")
	for i, l := range lines {
		if (i > 0 || a.flag(1, "first")) && (l != "" || a.flag(2, "blank")) {
			lines[i] = pad + l
		}
	}
	out := strings.Join(lines, "\n")
	if len(out) > maxStringLen {
		return nil, errTooLong
	}
	return out, nil
}

func fFormat(in any, a *fargs) (any, error) {
	if err := a.expect(-1); err != nil {
		return nil, err
	}
	return pyFormat(pyStr(in), a.pos)
}

// pyFormat implements the common part of Python's % formatting:
// %s %r %d %i %f %x %o %e %g with flags, width and precision, and %%.
func pyFormat(format string, args []any) (string, error) {
	var b strings.Builder
	next := 0
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		j := i + 1
		for j < len(format) && strings.IndexByte("-+ #0123456789.", format[j]) >= 0 {
			j++
		}
		if j >= len(format) {
			return "", errors.New("incomplete format")
		}
		spec, verb := format[i+1:j], format[j]
		i = j
		if verb == '%' {
			b.WriteByte('%')
			continue
		}
		if next >= len(args) {
			return "", errors.New("not enough arguments for format string")
		}
		s, err := formatOne(spec, verb, args[next])
		if err != nil {
			return "", err
		}
		next++
		b.WriteString(s)
		if b.Len() > maxStringLen {
			return "", errTooLong
		}
	}
	if next < len(args) {
		return "", errors.New("not all arguments converted during string formatting")
	}
	return b.String(), nil
}

func formatOne(spec string, verb byte, v any) (string, error) {
	if len(strings.TrimLeft(spec, "-+ #0")) > 7 || formatWidth(spec) > 1024 {
		return "", fmt.Errorf("format width or precision too large: %%%s%c", spec, verb)
	}
	switch verb {
	case 's':
		return fmt.Sprintf("%"+spec+"s", pyStr(v)), nil
	case 'r':
		return fmt.Sprintf("%"+spec+"s", pyRepr(v)), nil
	case 'd', 'i', 'x', 'X', 'o':
		i, f, isInt, ok := number(v)
		if !ok {
			return "", fmt.Errorf("%%%c format: a number is required, not %s", verb, typeName(v))
		}
		if !isInt {
			i = int(f)
		}
		if verb == 'i' {
			verb = 'd'
		}
		return fmt.Sprintf("%"+spec+string(verb), i), nil
	case 'f', 'F', 'e', 'E', 'g', 'G':
		_, f, _, ok := number(v)
		if !ok {
			return "", fmt.Errorf("%%%c format: a number is required, not %s", verb, typeName(v))
		}
		return fmt.Sprintf("%"+spec+string(verb), f), nil
	}
	return "", fmt.Errorf("unsupported format character '%c'", verb)
}

// formatWidth is the largest number in a % format spec (width or precision).
func formatWidth(spec string) int {
	largest := 0
	for _, part := range strings.FieldsFunc(spec, func(r rune) bool { return r < '0' || r > '9' }) {
		n, _ := strconv.Atoi(part)
		largest = max(largest, n)
	}
	return largest
}

// fPathJoin is Ansible's path_join: os.path.join over a list.
func fPathJoin(in any, a *fargs) (any, error) {
	parts, ok := asList(in)
	if !ok {
		parts = []any{in}
	}
	out := ""
	for _, p := range parts {
		s := pyStr(p)
		switch {
		case strings.HasPrefix(s, "/"):
			out = s
		case out == "" || strings.HasSuffix(out, "/"):
			out += s
		default:
			out += "/" + s
		}
	}
	return out, nil
}
