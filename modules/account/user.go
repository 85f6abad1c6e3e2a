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

type userOptions struct {
	Name              string   `opt:"name,required" aliases:"user" doc:"The user's login name."`
	State             string   `opt:"state" default:"present" choices:"absent,present" doc:"present or absent."`
	UID               *int     `opt:"uid" doc:"The user's UID."`
	NonUnique         bool     `opt:"non_unique" default:"false" doc:"Allow a UID another user has (with uid)."`
	Group             string   `opt:"group" doc:"The primary group (name or GID); it must exist."`
	Groups            []string `opt:"groups" doc:"Supplementary groups; an empty list removes them all (unless append)."`
	Append            bool     `opt:"append" default:"false" doc:"Add groups to the user's groups instead of replacing them."`
	Comment           *string  `opt:"comment" doc:"The GECOS field (full name)."`
	Home              *string  `opt:"home" kind:"abspath" doc:"The home directory."`
	Shell             *string  `opt:"shell" doc:"The login shell."`
	Password          *string  `opt:"password,secret" doc:"The password as a crypt(3) hash (password_hash filter), never clear text."`
	UpdatePassword    string   `opt:"update_password" default:"always" choices:"always,on_create" doc:"always: set the hash when it differs; on_create: only for a new user."`
	PasswordLock      *bool    `opt:"password_lock" doc:"true: lock the password (usermod -L); false: unlock it."`
	PasswordExpireMax *int     `opt:"password_expire_max" doc:"Maximum days between password changes (chage -M)."`
	PasswordExpireMin *int     `opt:"password_expire_min" doc:"Minimum days between password changes (chage -m)."`
	Expires           *string  `opt:"expires" doc:"When the account expires, in seconds since the epoch (a float; negative: never), kept to the day (useradd/usermod -e)."`
	CreateHome        bool     `opt:"create_home" default:"true" aliases:"createhome" doc:"Create the home directory (from skeleton) if it is missing."`
	Skeleton          *string  `opt:"skeleton" doc:"Directory copied into a new home (useradd -k)."`
	Umask             *string  `opt:"umask" doc:"Mode mask of a new home (useradd -K UMASK=)."`
	MoveHome          bool     `opt:"move_home" default:"false" doc:"Move the home's content when home changes."`
	System            bool     `opt:"system" default:"false" doc:"Create a system account (a UID from the system range)."`
	Force             bool     `opt:"force" default:"false" doc:"With state absent: userdel -f; with generate_ssh_key: replace an existing key."`
	Remove            bool     `opt:"remove" default:"false" doc:"With state absent: also remove the home directory and mail spool (userdel -r)."`
	userKeyOptions
}

func (user) Spec() modules.Spec {
	return modules.Spec{
		Name:    "user",
		Returns: []string{"name", "state", "system", "create_home", "append", "move_home", "force", "remove", "changed", "uid", "group", "groups", "comment", "home", "shell"}, // the order of Ansible's result
		Summary: "Create, change or remove a local user account",
		Args:    modules.OptionsOf[userOptions](),
		Check:   modules.CheckSupported,
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
	o    userOptions
	name string
	// expires is the expires argument read as user.py's float (nil: not given).
	expires *float64
}

func (user) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[userOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	u := &userTask{ctx: ctx, h: h, o: o, name: o.Name}
	if u.expires, err = parseExpires(o.Expires); err != nil {
		return modules.Result{}, err
	}
	acct, err := readAccount(ctx, h, u.name)
	if err != nil {
		return modules.Result{}, err
	}
	data := map[string]any{"name": u.name, "state": o.State}
	if o.State == "absent" {
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
	if o.Password != nil {
		data["password"] = "NOT_LOGGING_PASSWORD"
	}
	return u.after(data)
}

func (u *userTask) absent(acct account, data map[string]any) (modules.Result, error) {
	if acct.passwd == nil {
		return modules.Result{Data: data}, nil
	}
	cmd := []string{"userdel"}
	if u.o.Force {
		cmd = append(cmd, "-f")
	}
	if u.o.Remove {
		cmd = append(cmd, "-r")
	}
	cmd = append(cmd, u.name)
	out, err := hostcmd.Change(u.ctx, u.h, hostcmd.Quote(cmd...), hostcmd.Quote(cmd...))
	if err != nil || u.h.Pending() {
		return modules.Result{Data: map[string]any{}}, err // Ansible's check mode answers only changed
	}
	if res, bad := commandResult(u.name, out, data); bad {
		return res, nil
	}
	data["force"], data["remove"] = u.o.Force, u.o.Remove
	return modules.Result{Data: data}, nil
}

// groupsArg is the groups argument as given, and whether it was.
func (u *userTask) groupsArg() ([]string, bool) {
	if u.o.Groups == nil {
		return nil, false
	}
	var gs []string
	for _, g := range u.o.Groups {
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
	// Ansible's check mode answers changed before it checks the groups, so
	// the dry run takes this path, not the real run's probes then change:
	// the gate plans the useradd it would run.
	if u.h.Check {
		_, err := u.apply("useradd "+u.name, "", true)
		return modules.Result{Data: map[string]any{}}, true, err
	}
	cmd := []string{"useradd"}
	if u.o.UID != nil {
		cmd = append(cmd, "-u", strconv.Itoa(*u.o.UID))
		if u.o.NonUnique {
			cmd = append(cmd, "-o")
		}
	}
	if g := u.o.Group; g != "" {
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
	for _, c := range []struct {
		value *string
		flag  string
	}{{u.o.Comment, "-c"}, {u.o.Home, "-d"}, {u.o.Shell, "-s"}} {
		if c.value != nil {
			cmd = append(cmd, c.flag, *c.value)
		}
	}
	if u.o.CreateHome {
		cmd = append(cmd, "-m")
		if u.o.Skeleton != nil {
			cmd = append(cmd, "-k", *u.o.Skeleton)
		}
		if u.o.Umask != nil {
			cmd = append(cmd, "-K", "UMASK="+*u.o.Umask)
		}
	} else {
		cmd = append(cmd, "-M")
	}
	if u.o.System {
		cmd = append(cmd, "-r")
	}
	if u.expires != nil {
		cmd = append(cmd, "-e", expiryDate(*u.expires))
	}
	cmd = append(cmd, u.name)
	out, err := u.apply("useradd "+u.name, hostcmd.Quote(cmd...), true)
	if err != nil {
		return modules.Result{}, true, err
	}
	if res, bad := commandResult(u.name, out, data); bad {
		return res, true, nil
	}
	data["system"], data["create_home"] = u.o.System, u.o.CreateHome
	return modules.Result{}, false, nil
}

// apply runs a useradd or usermod script through the gate, followed by
// chpasswd -e reading the password hash from standard input when it is to
// be set.
func (u *userTask) apply(what, script string, setPassword bool) (modules.Output, error) {
	input := ""
	if setPassword && u.o.Password != nil {
		hash := *u.o.Password
		if u.o.PasswordLock != nil && *u.o.PasswordLock {
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
	if u.o.UID != nil && acct.passwd.id(2) != *u.o.UID {
		flags = append(flags, "-u", strconv.Itoa(*u.o.UID))
		if u.o.NonUnique {
			flags = append(flags, "-o")
		}
	}
	if g := u.o.Group; g != "" {
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
		value *string
		flag  string
		field int
	}{{u.o.Comment, "-c", 4}, {u.o.Home, "-d", 5}, {u.o.Shell, "-s", 6}} {
		if c.value != nil && acct.passwd.field(c.field) != *c.value {
			flags = append(flags, c.flag, *c.value)
			if c.flag == "-d" && u.o.MoveHome {
				flags = append(flags, "-m")
			}
		}
	}
	if u.expires != nil && expiryDiffers(*u.expires, acct.shadow.field(7)) {
		flags = append(flags, "-e", expiryDate(*u.expires))
	}
	current := acct.shadow.field(1)
	setPassword := u.o.UpdatePassword == "always" && u.o.Password != nil &&
		strings.TrimLeft(current, "!") != strings.TrimLeft(*u.o.Password, "!")
	lock := u.o.PasswordLock
	switch {
	case setPassword: // the hash written carries the lock
	case lock != nil && *lock && !strings.HasPrefix(current, "!"):
		flags = append(flags, "-L")
	case lock != nil && !*lock && strings.HasPrefix(current, "!"):
		flags = append(flags, "-U")
	}
	data["append"], data["move_home"] = u.o.Append, u.o.MoveHome
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
		if len(acct.member) > 0 && !u.o.Append {
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
	if u.o.Append {
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
	if u.o.CreateHome {
		home := p.field(5)
		if u.o.Home != nil {
			home = *u.o.Home
		}
		if err := u.createHome(home, p.field(2), p.field(3)); err != nil {
			return modules.Result{}, err
		}
	}
	if u.o.GenerateSSHKey {
		if res, err := u.sshKey(data, p); err != nil || res != nil {
			if res == nil {
				res = &modules.Result{}
			}
			return *res, err
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
	if u.o.Skeleton != nil {
		skel = *u.o.Skeleton
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
		days  *int
		flag  string
		field int
	}{{u.o.PasswordExpireMin, "-m", 3}, {u.o.PasswordExpireMax, "-M", 4}} {
		if c.days != nil && acct.shadow.field(c.field) != strconv.Itoa(*c.days) {
			flags = append(flags, c.flag, strconv.Itoa(*c.days))
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
