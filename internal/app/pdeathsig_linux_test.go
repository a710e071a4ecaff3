package app_test

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal makes the kernel kill a server process when the test
// process dies without cleaning up.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
