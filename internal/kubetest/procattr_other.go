//go:build !linux

package kubetest

import "syscall"

// dieWithParent has no portable equivalent off Linux; cleanup stops the
// children there.
func dieWithParent() *syscall.SysProcAttr {
	return nil
}
