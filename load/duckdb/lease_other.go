//go:build !unix

package duckdb

import "os"

// takeLease has no cross-process lock on this platform: the caller must
// ensure a single writer (as lockDataset).
func takeLease(dbPath string) (*os.File, error) {
	return os.OpenFile(LeasePath(dbPath), os.O_RDWR|os.O_CREATE, 0o600)
}
