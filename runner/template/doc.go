// Package template is ferry's one expression language: Jinja syntax as
// Ansible playbooks write it (when: conditions, "{{ }}" in strings, template
// files), translated to expr-lang programs that are compiled once per
// distinct source and then run per host. No Jinja engine is embedded.
//
// A Jinja expression is parsed into a small AST and emitted as expr source in
// which every operator, filter and test is a registered Go function (see
// emit.go for the name spaces). Variables are looked up through Scope only for
// the names a program references; a missing one becomes an undefined value
// that default(), `is defined` and attribute access carry along and any other
// use reports as "'foo' is undefined".
//
// Supported Jinja subset:
//
//   - Literals: strings in single or double quotes (Python escapes), ints, floats,
//     true/True, false/False, none/None, lists, tuples (as lists), dicts.
//   - Operators: + - * / // % ** ~, == != < > <= >= (chained), in, not in,
//     and, or (returning an operand, as in Python), not, x if c else y,
//     "%s" % args.
//   - Access: a.b, a['b'], a[0], a[-1], a.0, slices a[1:3:2]; Python methods
//     on strings (split/rsplit with maxsplit, strip family with chars, lower,
//     upper, startswith, endswith, replace, join, splitlines, capitalize,
//     title, find, rfind, index, rindex, count, format, zfill, ljust, rjust,
//     center, partition, rpartition, isdigit and the other is* tests...; see
//     strmethods.go) and dicts (keys values items get).
//   - Integers are unbounded, as in Python (bigint.go). Variables are read
//     lazily: a branch not taken never evaluates its variables (lazy.go).
//   - Functions: range, dict(k=v), namespace(k=v), lookup/query/q with the plugins of
//     lookups.go (file env items list dict indexed_items together nested
//     cartesian subelements sequence fileglob lines pipe first_found
//     template password vars, and url, varnames and config in lookups_url.go,
//     lookups_varnames.go and lookups_config.go, community.general's flattened
//     in lookups_flattened.go), wantlist= and errors=.
//   - Filters: see the filters table in filters.go (default/d, mandatory, int,
//     float, bool, string, lower, upper, trim, length/count, join, split,
//     replace, basename, dirname, b64encode/b64decode, to_json, to_nice_json,
//     from_json, to_yaml, to_nice_yaml, from_yaml, regex_search,
//     regex_replace, regex_findall, regex_escape, first, last, unique, sort,
//     min, max, list, reverse, flatten, sum, dict2items, items2dict, items,
//     dictsort, combine, select, reject, selectattr, rejectattr, map,
//     difference, intersect, union, symmetric_difference, quote, hash,
//     checksum, md5, abs, round, ternary, indent, format, type_debug,
//     path_join, escape/e, capitalize, title, version; and in filters_seq.go
//     zip, zip_longest, product, permutations, combinations, subelements,
//     batch, slice, groupby, extract, rekey_on_member; in filters_text.go
//     comment, human_readable, human_to_bytes, expanduser, expandvars,
//     realpath, relpath, splitext, to_uuid, truncate, wordcount, center,
//     urlencode, urldecode, log, pow, root, sha1, password_hash; wordwrap
//     and urlsplit in filters_url.go; random and
//     shuffle in pyrandom.go, seeded as Python's; strftime and to_datetime
//     in datetime.go, whose datetimes subtract, compare and have Python's
//     fields and strftime/isoformat/total_seconds methods).
//     ansible.builtin.X names the same filter.
//   - Tests: defined, undefined, none, string, number, integer, float,
//     boolean, true, false, mapping, iterable, sequence, truthy, falsy,
//     succeeded/success, failed/failure, changed/change, skipped/skip,
//     match, search/regex, version/version_compare, in, contains, eq/==/
//     equalto, ne, lt, le, gt, ge, sameas, even, odd, divisibleby, subset,
//     superset, all, any, lower, upper, and the controller's path tests
//     file, directory, link, exists, link_exists, abs, same_file, mount.
//   - Statements: if/elif/else/endif, for x in xs [if cond] [recursive] /
//     else / endfor (with loop.index, index0, revindex, revindex0, first,
//     last, length, depth, depth0, previtem, nextitem, cycle(), changed(),
//     loop(items) in a recursive loop, and `for k, v in d.items()`), set x =
//     expr, set a, b = pair, set ns.attr = expr on a namespace(...), and
//     set x [| filter] ... endset, raw/endraw, {# comments #},
//     whitespace control with '-' and '+', Ansible's trim_blocks, and a
//     first line "#jinja2: trim_blocks: False, lstrip_blocks: True" that
//     changes them (and keep_trailing_newline; header.go). In
//     stmt.go and render_stmt.go: extends and block (scoped, required,
//     endblock name, super(), self.name()), include (ignore missing, a list of names, with/without
//     context), import ... as and from ... import (without context by
//     default, as Jinja), macro (defaults, varargs, kwargs, caller), call,
//     filter and with. Templates named by extends, include and import are
//     found in the template action's search path (loader.go).
//
// Not supported, each a static error from Check/CheckExpr naming the
// construct: break, continue and do (Jinja extensions that ansible-core
// 2.14 does not enable), lookup plugins that lookups.go lacks, and the
// filters listed in unsupportedFilters.
// Regular expressions use Go's RE2 syntax: look-arounds and backreferences
// in patterns are reported as invalid.
package template
