package lakeenv

import "syscall"

// sysProcAttr puts a server in a process group of its own (so that
// killGroup reaches its children too, and a terminal's ^C goes to the test
// binary only), has the kernel kill it when the test binary dies, and runs
// it as user as when not nil (Go sets the parent-death signal after the
// change of user, which would otherwise clear it).
func sysProcAttr(as *account) (*syscall.SysProcAttr, error) {
	attr := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if as != nil {
		attr.Credential = &syscall.Credential{Uid: as.uid, Gid: as.gid}
	}
	return attr, nil
}

// killGroup kills every process of the process group led by pid.
func killGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGKILL) }
