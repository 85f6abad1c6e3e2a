package template

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// FileVars are the variables the template module adds for a template file,
// as generate_ansible_template_vars (lib/ansible/template/__init__.py):
// template_host, template_path (src as the task gives it), template_fullpath,
// template_uid, template_mtime, template_run_date, template_destpath, and
// ansible_managed: the DEFAULT_MANAGED_STR setting ("Ansible managed" unless
// ansible.cfg says otherwise) with {host}, {uid} and {file} filled in, then
// formatted with strftime at the template's modification time.
func (e *Engine) FileVars(src, fullpath, dest string) (map[string]any, error) {
	fi, err := os.Stat(fullpath)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	mtime := fi.ModTime().Local()
	vars := map[string]any{
		"template_host":     host,
		"template_path":     src,
		"template_fullpath": fullpath,
		"template_uid":      fileOwner(fi),
		"template_mtime":    pyDatetime{t: mtime},
		"template_run_date": pyDatetime{t: time.Now()},
		"template_destpath": nil,
	}
	if !filepath.IsAbs(fullpath) {
		vars["template_fullpath"], _ = filepath.Abs(fullpath)
	}
	if dest != "" {
		vars["template_destpath"] = dest
	}
	managed, err := e.managedString(vars)
	if err != nil {
		return nil, err
	}
	vars["ansible_managed"], err = strftime(managed, mtime.Truncate(time.Second), false)
	return vars, err
}

// managedString is DEFAULT_MANAGED_STR.format(host=, uid=, file=).
func (e *Engine) managedString(vars map[string]any) (string, error) {
	setting, found, err := e.setting("DEFAULT_MANAGED_STR")
	if err != nil {
		return "", err
	}
	format, ok := setting.(string)
	if !found || !ok {
		format = "Ansible managed"
	}
	out, err := pyStrFormat(format, nil, map[string]any{"host": vars["template_host"], "uid": vars["template_uid"], "file": vars["template_path"]})
	if err != nil {
		return "", fmt.Errorf("ansible_managed %q: %v", format, err)
	}
	return pyStr(out), nil
}

// fileOwner is the owner's user name, or the uid when it has none.
func fileOwner(fi os.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	uid := strconv.FormatUint(uint64(st.Uid), 10)
	if u, err := user.LookupId(uid); err == nil {
		return u.Username
	}
	return uid
}
