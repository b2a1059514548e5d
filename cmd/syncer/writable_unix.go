//go:build unix

package main

import "syscall"

// writable reports whether this process may write path (a file or a
// directory), without writing anything: access(2) with W_OK.
func writable(path string) bool { return syscall.Access(path, 0x2) == nil }
