//go:build unix

package duckdb

import (
	"errors"
	"os"
	"syscall"
)

// announceReader takes a shared lock on ReadersPath(dbPath), creating the
// file (0600) if it can, and returns what drops it. A reader that can
// neither create nor open the file waits unannounced (a noop is returned):
// it is then let in only between two commits.
func announceReader(dbPath string) (done func()) {
	path := ReadersPath(dbPath)
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		if f, err = os.Open(path); err != nil {
			return func() {}
		}
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH); err != nil {
		f.Close()
		return func() {}
	}
	return func() { f.Close() } // closing drops the lock
}

// readerWaiting reports whether a reader holds its announcement on
// ReadersPath(dbPath) (see announceReader). Any failure to tell counts as
// a reader waiting, so the writer then yields as if one did.
func readerWaiting(dbPath string) bool {
	f, err := os.Open(ReadersPath(dbPath))
	if errors.Is(err, os.ErrNotExist) {
		return false
	}
	if err != nil {
		return true
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return true
	}
	return false // closing f drops the lock just taken
}
