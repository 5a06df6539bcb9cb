//go:build !unix

package org

import "os/exec"

// killGroup: elsewhere cancelling kills git itself (exec's default).
func killGroup(*exec.Cmd) {}
