package blobtest

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal makes the kernel kill the server when the test
// process ends without calling Stop (a failed TestMain, a panic, ^C).
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
