//go:build unix

package duckdb

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/syncer/syncer/load"
)

// takeLease takes the writer lease of the warehouse at dbPath (flock of
// LeasePath, created 0600) and writes this process's name into it. It does
// not wait: a lease another process holds fails with a *load.HeldError
// naming the holder its file names.
func takeLease(dbPath string) (*os.File, error) {
	path := LeasePath(dbPath)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("warehouse lease: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &load.HeldError{Holder: leaseHolder(path), Err: errors.New("the warehouse's writer lease is held by another process")}
		}
		return nil, fmt.Errorf("warehouse lease: %w", err)
	}
	// Who holds it is only said, never relied on: a failure here is harmless.
	if err := f.Truncate(0); err == nil {
		_, _ = io.WriteString(f, thisProcess()+"\n")
	}
	return f, nil
}
