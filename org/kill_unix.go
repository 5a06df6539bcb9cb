//go:build unix

package org

import (
	"os/exec"
	"syscall"
)

// killGroup makes cancelling cmd kill git's whole process group:
// git-remote-https and index-pack would otherwise outlive a timeout.
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
