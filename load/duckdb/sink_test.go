package duckdb_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/load/loadtest"
)

// TestDuckDBFilesPrivate checks the warehouse and its WAL are created 0600
// (their directory 0700) even when the process umask lets everyone read,
// and that Close checkpoints the WAL away.
func TestDuckDBFilesPrivate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "new", "dir")
	path := warehousePath(dir)
	sink, err := duckdb.Open(context.Background(), duckdb.Options{Path: path, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := sink.Commit(context.Background(), loadtest.Batches(1, 2, loadtest.Day1)); err != nil {
		t.Fatal(err)
	}
	checkMode(t, path, 0o600)
	checkMode(t, path+".wal", 0o600)
	checkMode(t, dir, 0o700)
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	checkMode(t, path, 0o600)
	if _, err := os.Stat(path + ".wal"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("WAL after Close: %v, want it checkpointed and removed", err)
	}
	if got := syscall.Umask(0); got != 0 {
		t.Errorf("umask after Close is %#o, want the caller's 0 restored", got)
	}
}

func checkMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Errorf("%s: %v", filepath.Base(path), err)
		return
	}
	if got := st.Mode().Perm(); got != want {
		t.Errorf("%s has mode %#o, want %#o", filepath.Base(path), got, want)
	}
}

// TestDuckDBNoExtensionDownload checks that a query needing an extension
// that is not built in fails at once instead of reaching the network.
func TestDuckDBNoExtensionDownload(t *testing.T) {
	sink := openDuckDB(t, t.TempDir()).(*duckdb.Sink)
	defer sink.Close()
	_, err := catalog(t, sink).Exec("SELECT * FROM read_csv('https://example.invalid/x.csv')")
	if err == nil || !strings.Contains(err.Error(), "httpfs") {
		t.Errorf("httpfs query: %v, want a missing-extension error", err)
	}
}

func TestDuckDBReadOnlyMissingFile(t *testing.T) {
	_, err := duckdb.OpenReadOnly(context.Background(), filepath.Join(t.TempDir(), "none.duckdb"), 0)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("read-only open of a missing warehouse: %v, want not-exist", err)
	}
}

func TestDuckDBRefusesNewerSchema(t *testing.T) {
	dir := t.TempDir()
	openDuckDB(t, dir).Close()
	execScript(t, warehousePath(dir), "INSERT INTO schema_version (version) VALUES (999)")
	_, err := duckdb.Open(context.Background(), duckdb.Options{Path: warehousePath(dir), Logger: quiet})
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("opening a warehouse of schema version 999: %v, want a newer-version error", err)
	}
}

// TestDuckDBEmptyFile opens a warehouse path holding an empty file, as a
// process killed while DuckDB created the file leaves it.
func TestDuckDBEmptyFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(warehousePath(dir), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	sink := openDuckDB(t, dir)
	if err := sink.Commit(context.Background(), loadtest.Batches(1, 1, loadtest.Day1)); err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
}
