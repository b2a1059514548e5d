package duckdb_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/load/duckdb"
)

// TestDuckDBReaderLogsToItsLogger: a read-only open that waits for a held
// warehouse logs the wait to the logger it is given, so that `syncer sql`
// and `status` log in the format of --log-format.
func TestDuckDBReaderLogsToItsLogger(t *testing.T) {
	path := warehousePath(t.TempDir())
	holdWarehouse(t, path)
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var logs bytes.Buffer
	_, err := duckdb.OpenReader(context.Background(), duckdb.ReaderOptions{
		Path: path, LockWait: time.Second, Clock: clock.clock(), Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
	})
	if !errors.Is(err, load.ErrLocked) {
		t.Fatalf("duckdb.OpenReader of a held warehouse: %v, want ErrLocked", err)
	}
	if !bytes.Contains(logs.Bytes(), []byte(`"msg":"warehouse is busy, waiting for it"`)) {
		t.Errorf("the wait was not logged to the given logger:\n%s", logs.String())
	}
}
