// Package getent is Ansible's getent module: the entries of a name service
// database (passwd, group, hosts, services...) as facts, read with the
// host's getent(1). Roles use it to learn a group's members before adding
// users to it (geerlingguy.docker).
package getent

import (
	"context"
	"github.com/ferry-sh/ferry/internal/anylist"
	"strings"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

func init() { modules.Register(getentModule{}) }

type getentModule struct{}

type getentOptions struct {
	Database string  `opt:"database,required,nonempty" doc:"The database (passwd, group, shadow, hosts, services...), as getent(1) takes it."`
	Key      *string `opt:"key" doc:"The entry to read; without it, the whole database."`
	Service  *string `opt:"service" doc:"The NSS service to ask (getent -s)."`
	Split    *string `opt:"split" doc:"What separates an entry's fields; ':' for passwd, shadow, group and gshadow, else runs of white space."`
	FailKey  bool    `opt:"fail_key" default:"true" doc:"Fail when key is not found; with false the fact maps key to null."`
}

func (getentModule) Spec() modules.Spec {
	return modules.Spec{
		Name:    "getent",
		Summary: "Read a name service database (getent) into the fact getent_DATABASE",
		Args:    modules.OptionsOf[getentOptions](),
		Check:   modules.CheckSupported,
	}
}

// colonDatabases split on ':' unless split is given (getent.py's colon).
var colonDatabases = map[string]bool{"passwd": true, "shadow": true, "group": true, "gshadow": true}

// Run follows ansible-core 2.14's modules/getent.py: getent's exit code 1,
// 2 and 3 are its three messages, and an entry met twice becomes a list of
// its records.
func (getentModule) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[getentOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	words := []string{"getent", o.Database}
	if o.Key != nil {
		words = append(words, *o.Key)
	}
	if o.Service != nil {
		words = append(words, "-s", *o.Service)
	}
	out, err := hostcmd.Query(ctx, h, hostcmd.Quote(words...))
	if err != nil {
		return modules.Result{}, err
	}
	split := ""
	if o.Split != nil {
		split = *o.Split
	} else if colonDatabases[o.Database] {
		split = ":"
	}
	switch out.RC {
	case 0:
		return factsResult(h, o.Database, entries(out.Stdout, split), ""), nil
	case 1:
		return failed("Missing arguments, or database unknown."), nil
	case 2:
		msg := "One or more supplied key could not be found in the database."
		if !o.FailKey && o.Key != nil {
			return factsResult(h, o.Database, map[string]any{*o.Key: nil}, msg), nil
		}
		return failed(msg), nil
	case 3:
		return failed("Enumeration not supported on this database."), nil
	}
	return failed("Unexpected failure!"), nil
}

// entries maps each line's first field to the rest, as getent.py does; a
// first field met again turns into the list of its records.
func entries(stdout, split string) map[string]any {
	db := map[string]any{}
	seen := map[string]int{}
	if stdout == "" {
		return db
	}
	for _, line := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		record := pySplit(line, split)
		key, rest := record[0], anylist.Of(record[1:])
		switch seen[key] {
		case 0:
			db[key] = rest
		case 1:
			db[key] = []any{db[key], rest}
		default:
			db[key] = append(db[key].([]any), rest)
		}
		seen[key]++
	}
	return db
}

// pySplit is Python's str.split(sep): on every sep, or with no sep on runs
// of white space (no empty fields); never an empty list.
func pySplit(s, sep string) []string {
	if sep != "" {
		return strings.Split(s, sep)
	}
	if f := strings.Fields(s); len(f) > 0 {
		return f
	}
	return []string{""}
}

// factsResult sets getent_DATABASE as a fact and registers it.
func factsResult(h *modules.Host, database string, db map[string]any, msg string) modules.Result {
	res := modules.FactsResult(h, map[string]any{"getent_" + database: db})
	if msg != "" {
		res.Msg, res.Data["msg"] = msg, msg
	}
	return res
}

func failed(msg string) modules.Result {
	return modules.Result{Failed: true, Msg: msg, Data: map[string]any{"msg": msg}}
}
