//go:build unix

package duckdb

import (
	"errors"
	"os"
	"syscall"
)

// makeReadersFile creates ReadersPath(dbPath) (0600) if it is missing: the
// writer makes it, at Open, so that readers, which write nothing, can say
// they wait.
func makeReadersFile(dbPath string) error {
	f, err := os.OpenFile(ReadersPath(dbPath), os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

// announceReader takes a shared lock on ReadersPath(dbPath) and returns
// what drops it. It creates nothing: a reader that cannot open the file (no
// writer of this version ever opened the warehouse, or the file is not its
// to read) waits unannounced (a noop is returned), and is then let in only
// between two commits.
func announceReader(dbPath string) (done func()) {
	f, err := os.Open(ReadersPath(dbPath))
	if err != nil {
		return func() {}
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
