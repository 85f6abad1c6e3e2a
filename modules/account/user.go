package account

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

func init() { modules.Register(user{}) }

// user is Ansible's user module on Linux: useradd, usermod and userdel,
// with the password hash handed to chpasswd -e on its standard input
// (never in a command line, where other users of the host could read it).
type user struct{}

func (user) Spec() modules.Spec {
	return modules.Spec{
		Name:    "user",
		Summary: "Create, change or remove a local user account",
		Args: []modules.Arg{
			{Name: "name", Type: modules.String, Required: true, Aliases: []string{"user"}, Doc: "The user's login name."},
			{Name: "state", Type: modules.String, Default: "present", Choices: []string{"absent", "present"}, Doc: "present or absent."},
			{Name: "uid", Type: modules.Int, Doc: "The user's UID."},
			{Name: "non_unique", Type: modules.Bool, Default: false, Doc: "Allow a UID another user has (with uid)."},
			{Name: "group", Type: modules.String, Doc: "The primary group (name or GID); it must exist."},
			{Name: "groups", Type: modules.List, Doc: "Supplementary groups; an empty list removes them all (unless append)."},
			{Name: "append", Type: modules.Bool, Default: false, Doc: "Add groups to the user's groups instead of replacing them."},
			{Name: "comment", Type: modules.String, Doc: "The GECOS field (full name)."},
			{Name: "home", Kind: modules.AbsPath, Type: modules.String, Doc: "The home directory."},
			{Name: "shell", Type: modules.String, Doc: "The login shell."},
			{Name: "password", Type: modules.String, Secret: true, Doc: "The password as a crypt(3) hash (password_hash filter), never clear text."},
			{Name: "update_password", Type: modules.String, Default: "always", Choices: []string{"always", "on_create"}, Doc: "always: set the hash when it differs; on_create: only for a new user."},
			{Name: "password_lock", Type: modules.Bool, Doc: "true: lock the password (usermod -L); false: unlock it."},
			{Name: "password_expire_max", Type: modules.Int, Doc: "Maximum days between password changes (chage -M)."},
			{Name: "password_expire_min", Type: modules.Int, Doc: "Minimum days between password changes (chage -m)."},
			{Name: "create_home", Type: modules.Bool, Default: true, Aliases: []string{"createhome"}, Doc: "Create the home directory (from skeleton) if it is missing."},
			{Name: "skeleton", Type: modules.String, Doc: "Directory copied into a new home (useradd -k)."},
			{Name: "umask", Type: modules.String, Doc: "Mode mask of a new home (useradd -K UMASK=)."},
			{Name: "move_home", Type: modules.Bool, Default: false, Doc: "Move the home's content when home changes."},
			{Name: "system", Type: modules.Bool, Default: false, Doc: "Create a system account (a UID from the system range)."},
			{Name: "force", Type: modules.Bool, Default: false, Doc: "With state absent: userdel -f."},
			{Name: "remove", Type: modules.Bool, Default: false, Doc: "With state absent: also remove the home directory and mail spool (userdel -r)."},
		},
		Check: modules.CheckSupported,
	}
}

// account is what the host's databases say of the user.
type account struct {
	passwd, shadow entry
	member         []string // groups listing the user as a member
}

func readAccount(ctx context.Context, h *modules.Host, name string) (account, error) {
	var a account
	var err error
	if a.passwd, err = lookup(ctx, h, "passwd", name); err != nil || a.passwd == nil {
		return a, err
	}
	if a.shadow, err = lookup(ctx, h, "shadow", name); err != nil {
		return a, err
	}
	out, err := hostcmd.Query(ctx, h, "getent group | awk -F: -v u="+hostcmd.Quote(name)+
		` '{n=split($4,m,","); for(i=1;i<=n;i++) if (m[i]==u) print $1}'`)
	a.member = strings.Fields(out.Stdout)
	return a, err
}

type userTask struct {
	ctx  context.Context
	h    *modules.Host
	args modules.Args
	name string
}

func (user) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	u := &userTask{ctx: ctx, h: h, args: args, name: args.String("name")}
	acct, err := readAccount(ctx, h, u.name)
	if err != nil {
		return modules.Result{}, err
	}
	data := map[string]any{"name": u.name, "state": args.String("state")}
	if args.String("state") == "absent" {
		return u.absent(acct, data)
	}
	var res modules.Result
	var done bool
	if acct.passwd == nil {
		res, done, err = u.create(data)
	} else {
		res, done, err = u.modify(acct, data)
	}
	if err != nil || done {
		return res, err
	}
	if args.Has("password") {
		data["password"] = "NOT_LOGGING_PASSWORD"
	}
	return u.after(data)
}

func (u *userTask) absent(acct account, data map[string]any) (modules.Result, error) {
	if acct.passwd == nil {
		return modules.Result{Data: data}, nil
	}
	cmd := []string{"userdel"}
	if u.args.Bool("force") {
		cmd = append(cmd, "-f")
	}
	if u.args.Bool("remove") {
		cmd = append(cmd, "-r")
	}
	cmd = append(cmd, u.name)
	out, err := hostcmd.Change(u.ctx, u.h, hostcmd.Quote(cmd...), hostcmd.Quote(cmd...))
	if err != nil || u.h.Check {
		return modules.Result{Data: map[string]any{}}, err // Ansible's check mode answers only changed
	}
	if res, bad := commandResult(u.name, out, data); bad {
		return res, nil
	}
	data["force"], data["remove"] = u.args.Bool("force"), u.args.Bool("remove")
	return modules.Result{Data: data}, nil
}

// groupsArg is the groups argument as given, and whether it was.
func (u *userTask) groupsArg() ([]string, bool) {
	if !u.args.Has("groups") {
		return nil, false
	}
	var gs []string
	for _, g := range u.args.Strings("groups") {
		if g = strings.TrimSpace(g); g != "" && !slices.Contains(gs, g) {
			gs = append(gs, g)
		}
	}
	return gs, true
}

// mustExist fails when one of groups is not a group on the host.
func (u *userTask) mustExist(groups ...string) (entry, string, error) {
	var last entry
	for _, g := range groups {
		e, err := lookup(u.ctx, u.h, "group", g)
		if err != nil {
			return nil, "", err
		}
		if e == nil {
			return nil, "Group " + g + " does not exist", nil
		}
		last = e
	}
	return last, "", nil
}

func (u *userTask) create(data map[string]any) (modules.Result, bool, error) {
	if u.h.Check { // Ansible's check mode answers changed before checking the groups
		_, err := u.apply("useradd "+u.name, "", true)
		return modules.Result{Data: map[string]any{}}, true, err
	}
	cmd := []string{"useradd"}
	if u.args.Has("uid") {
		cmd = append(cmd, "-u", strconv.Itoa(u.args.Int("uid")))
		if u.args.Bool("non_unique") {
			cmd = append(cmd, "-o")
		}
	}
	if g := u.args.String("group"); g != "" {
		if _, msg, err := u.mustExist(g); err != nil || msg != "" {
			return failed(msg, nil), true, err
		}
		cmd = append(cmd, "-g", g)
	} else if own, err := lookup(u.ctx, u.h, "group", u.name); err != nil {
		return modules.Result{}, true, err
	} else if own != nil {
		cmd = append(cmd, "-N") // a group named as the user exists: do not make another
	}
	if gs, _ := u.groupsArg(); len(gs) > 0 {
		if _, msg, err := u.mustExist(gs...); err != nil || msg != "" {
			return failed(msg, nil), true, err
		}
		cmd = append(cmd, "-G", strings.Join(gs, ","))
	}
	for _, c := range [][2]string{{"comment", "-c"}, {"home", "-d"}, {"shell", "-s"}} {
		if u.args.Has(c[0]) {
			cmd = append(cmd, c[1], u.args.String(c[0]))
		}
	}
	if u.args.Bool("create_home") {
		cmd = append(cmd, "-m")
		if u.args.Has("skeleton") {
			cmd = append(cmd, "-k", u.args.String("skeleton"))
		}
		if u.args.Has("umask") {
			cmd = append(cmd, "-K", "UMASK="+u.args.String("umask"))
		}
	} else {
		cmd = append(cmd, "-M")
	}
	if u.args.Bool("system") {
		cmd = append(cmd, "-r")
	}
	cmd = append(cmd, u.name)
	out, err := u.apply("useradd "+u.name, hostcmd.Quote(cmd...), true)
	if err != nil {
		return modules.Result{}, true, err
	}
	if res, bad := commandResult(u.name, out, data); bad {
		return res, true, nil
	}
	data["system"], data["create_home"] = u.args.Bool("system"), u.args.Bool("create_home")
	return modules.Result{}, false, nil
}

// apply runs a useradd or usermod script through the gate, followed by
// chpasswd -e reading the password hash from standard input when it is to
// be set.
func (u *userTask) apply(what, script string, setPassword bool) (modules.Output, error) {
	input := ""
	if setPassword && u.args.Has("password") {
		hash := u.args.String("password")
		if u.args.Bool("password_lock") {
			hash = "!" + hash
		}
		script += " && chpasswd -e"
		input = u.name + ":" + hash + "\n"
		what += " and set the password"
	}
	return hostcmd.ChangeWithInput(u.ctx, u.h, what, script, input)
}

func (u *userTask) modify(acct account, data map[string]any) (modules.Result, bool, error) {
	var flags []string
	if u.args.Has("uid") && acct.passwd.id(2) != u.args.Int("uid") {
		flags = append(flags, "-u", strconv.Itoa(u.args.Int("uid")))
		if u.args.Bool("non_unique") {
			flags = append(flags, "-o")
		}
	}
	if g := u.args.String("group"); g != "" {
		ge, msg, err := u.mustExist(g)
		if err != nil || msg != "" {
			return failed(msg, nil), true, err
		}
		if ge.id(2) != acct.passwd.id(3) {
			flags = append(flags, "-g", ge.field(2))
		}
	}
	groupFlags, msg, err := u.groupChange(acct)
	if err != nil || msg != "" {
		return failed(msg, nil), true, err
	}
	flags = append(flags, groupFlags...)
	for _, c := range []struct {
		arg, flag string
		field     int
	}{{"comment", "-c", 4}, {"home", "-d", 5}, {"shell", "-s", 6}} {
		if u.args.Has(c.arg) && acct.passwd.field(c.field) != u.args.String(c.arg) {
			flags = append(flags, c.flag, u.args.String(c.arg))
			if c.arg == "home" && u.args.Bool("move_home") {
				flags = append(flags, "-m")
			}
		}
	}
	current := acct.shadow.field(1)
	setPassword := u.args.String("update_password") == "always" && u.args.Has("password") &&
		strings.TrimLeft(current, "!") != strings.TrimLeft(u.args.String("password"), "!")
	switch {
	case setPassword: // the hash written carries the lock
	case u.args.Has("password_lock") && u.args.Bool("password_lock") && !strings.HasPrefix(current, "!"):
		flags = append(flags, "-L")
	case u.args.Has("password_lock") && !u.args.Bool("password_lock") && strings.HasPrefix(current, "!"):
		flags = append(flags, "-U")
	}
	data["append"], data["move_home"] = u.args.Bool("append"), u.args.Bool("move_home")
	if len(flags) == 0 && !setPassword {
		return modules.Result{}, false, nil
	}
	script := "true"
	if len(flags) > 0 {
		script = hostcmd.Quote(append(append([]string{"usermod"}, flags...), u.name)...)
	}
	out, err := u.apply("usermod "+strings.Join(flags, " ")+" "+u.name, script, setPassword)
	if err != nil {
		return modules.Result{}, true, err
	}
	if res, bad := commandResult(u.name, out, data); bad {
		return res, true, nil
	}
	return modules.Result{}, false, nil
}

// groupChange is usermod's -G (with -a) when the supplementary groups
// differ, as Ansible decides it.
func (u *userTask) groupChange(acct account) ([]string, string, error) {
	want, given := u.groupsArg()
	if !given {
		return nil, "", nil
	}
	if len(want) == 0 {
		if len(acct.member) > 0 && !u.args.Bool("append") {
			return []string{"-G", ""}, "", nil
		}
		return nil, "", nil
	}
	if _, msg, err := u.mustExist(want...); err != nil || msg != "" {
		return nil, msg, err
	}
	need := false
	for _, g := range want {
		if !slices.Contains(acct.member, g) {
			need = true
		}
	}
	if u.args.Bool("append") {
		if need {
			return []string{"-a", "-G", strings.Join(want, ",")}, "", nil
		}
		return nil, "", nil
	}
	for _, g := range acct.member {
		if !slices.Contains(want, g) {
			need = true
		}
	}
	if need {
		return []string{"-G", strings.Join(want, ",")}, "", nil
	}
	return nil, "", nil
}

// after reports the account as it now is, creates a missing home and sets
// the password's age limits, as Ansible's main does after the change.
func (u *userTask) after(data map[string]any) (modules.Result, error) {
	acct, err := readAccount(u.ctx, u.h, u.name)
	if err != nil || acct.passwd == nil {
		return modules.Result{Data: data}, err
	}
	p := acct.passwd
	data["uid"], data["group"], data["comment"], data["home"], data["shell"] = p.id(2), p.id(3), p.field(4), p.field(5), p.field(6)
	if gs, given := u.groupsArg(); given {
		data["groups"] = strings.Join(gs, ",")
	}
	if u.args.Bool("create_home") {
		home := p.field(5)
		if u.args.Has("home") {
			home = u.args.String("home")
		}
		if err := u.createHome(home, p.field(2), p.field(3)); err != nil {
			return modules.Result{}, err
		}
	}
	return modules.Result{Data: data}, u.passwordAge(acct)
}

// createHome makes a missing home from the skeleton, with login.defs'
// UMASK, owned by the user.
func (u *userTask) createHome(home, uid, gid string) error {
	out, err := hostcmd.Query(u.ctx, u.h, "test -e "+hostcmd.Quote(home)+" && echo yes || true")
	if err != nil || strings.TrimSpace(out.Stdout) == "yes" {
		return err
	}
	skel := "/etc/skel"
	if u.args.Has("skeleton") {
		skel = u.args.String("skeleton")
	}
	q := hostcmd.Quote(home)
	script := fmt.Sprintf(`set -e
if [ -d %[2]s ]; then mkdir -p "$(dirname %[1]s)"; cp -a %[2]s %[1]s; else mkdir -p %[1]s; fi
m=$(awk '$1=="UMASK"{print $2}' /etc/login.defs 2>/dev/null | tail -1)
if [ -n "$m" ]; then chmod $(printf '%%o' $(( 0777 & ~0$m ))) %[1]s; fi
chown -R %[3]s:%[4]s %[1]s`, q, hostcmd.Quote(skel), uid, gid)
	ran, err := hostcmd.Change(u.ctx, u.h, "create home directory "+home, script)
	if err == nil && ran.RC != 0 {
		err = fmt.Errorf("creating %s: %s", home, strings.TrimSpace(ran.Stderr))
	}
	return err
}

// passwordAge sets chage -m/-M when they differ from the shadow entry.
func (u *userTask) passwordAge(acct account) error {
	var flags []string
	for _, c := range []struct {
		arg, flag string
		field     int
	}{{"password_expire_min", "-m", 3}, {"password_expire_max", "-M", 4}} {
		if u.args.Has(c.arg) && acct.shadow.field(c.field) != strconv.Itoa(u.args.Int(c.arg)) {
			flags = append(flags, c.flag, strconv.Itoa(u.args.Int(c.arg)))
		}
	}
	if len(flags) == 0 {
		return nil
	}
	cmd := append(append([]string{"chage"}, flags...), u.name)
	out, err := hostcmd.Change(u.ctx, u.h, hostcmd.Quote(cmd...), hostcmd.Quote(cmd...))
	if err == nil && out.RC != 0 {
		err = fmt.Errorf("chage: %s", strings.TrimSpace(out.Stderr))
	}
	return err
}
