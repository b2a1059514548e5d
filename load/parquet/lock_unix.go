//go:build unix

package parquet

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/syncer/syncer/internal/durable"
	"github.com/syncer/syncer/load"
)

// errDatasetHeld is the dataset's lock taken by another writer.
var errDatasetHeld = &load.HeldError{Err: errors.New("parquet: the dataset is held by another writer")}

// lockDataset takes the dataset's single-writer lock (DIR/_lock, flock), which
// the kernel releases if the process dies. It does not wait: a held lock
// fails with errDatasetHeld.
func lockDataset(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "_lock"), os.O_RDWR|os.O_CREATE, durable.FileMode)
	if err != nil {
		return nil, fmt.Errorf("parquet: lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errDatasetHeld
		}
		return nil, fmt.Errorf("parquet: lock: %w", err)
	}
	return f, nil
}
