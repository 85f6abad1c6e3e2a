package kubetest

import "syscall"

// dieWithParent makes the kernel kill the child when the test binary exits.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
