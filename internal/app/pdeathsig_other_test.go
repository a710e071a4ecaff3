//go:build !linux

package app_test

import "os/exec"

// setParentDeathSignal has no portable equivalent outside Linux.
func setParentDeathSignal(cmd *exec.Cmd) {}
