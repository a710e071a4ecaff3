//go:build !linux

package blobtest

import "os/exec"

// setParentDeathSignal has no portable equivalent outside Linux; there the
// server outlives a test process that exits without calling Stop.
func setParentDeathSignal(cmd *exec.Cmd) {}
