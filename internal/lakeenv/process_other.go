//go:build !linux

package lakeenv

import (
	"errors"
	"syscall"
)

// errUnsupported is the error where servers cannot be started at all.
var errUnsupported = errors.New("lakeenv: the lake servers are started on Linux only")

// sysProcAttr: elsewhere than Linux, no parent-death signal would stop a
// server whose test binary died, so none is started.
func sysProcAttr(*account) (*syscall.SysProcAttr, error) { return nil, errUnsupported }

func killGroup(int) {}
