//go:build !unix

package parquet

import (
	"os"
	"path/filepath"

	"github.com/syncer/syncer/internal/durable"
)

// lockDataset has no cross-process lock on this platform: the caller must
// ensure a single writer.
func lockDataset(dir string) (*os.File, error) {
	return os.OpenFile(filepath.Join(dir, "_lock"), os.O_RDWR|os.O_CREATE, durable.FileMode)
}
