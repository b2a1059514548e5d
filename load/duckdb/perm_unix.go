//go:build unix

package duckdb

import (
	"sync"
	"syscall"
)

var umaskGuard struct {
	sync.Mutex
	refs  int
	saved int
}

// privateFiles makes files and directories the process creates from now
// on private to its user (umask |= 077) until release is called. DuckDB
// creates the database, its .wal and its spill directory itself, with mode
// 0666 & ^umask, and the WAL reappears after every checkpoint: the umask is
// the only way to have them born 0600 (0700) without a window. Other files
// of this process are created with explicit private modes anyway. Nested
// calls share one restriction; the last release restores the saved umask.
func privateFiles() (release func()) {
	umaskGuard.Lock()
	defer umaskGuard.Unlock()
	if umaskGuard.refs == 0 {
		old := syscall.Umask(0o077)
		syscall.Umask(old | 0o077)
		umaskGuard.saved = old
	}
	umaskGuard.refs++
	var once sync.Once
	return func() {
		once.Do(func() {
			umaskGuard.Lock()
			defer umaskGuard.Unlock()
			umaskGuard.refs--
			if umaskGuard.refs == 0 {
				syscall.Umask(umaskGuard.saved)
			}
		})
	}
}
