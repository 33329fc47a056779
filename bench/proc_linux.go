package bench

import "syscall"

// childProcAttr makes a started server die with the bench, even when the
// bench itself is killed.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
