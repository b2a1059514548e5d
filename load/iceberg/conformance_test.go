package iceberg_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/load/iceberg"
	"github.com/syncer/syncer/load/loadtest"
)

// localLake places a lake under dir: a file:// warehouse and a SQLite
// catalog, the single-machine set-up.
func localLake(dir string) (warehouse, catalog string) {
	return "file://" + filepath.Join(dir, "lake"), "sqlite://" + filepath.Join(dir, "catalog.db")
}

func TestIcebergConformanceLocal(t *testing.T) {
	loadtest.Run(t, loadtest.Harness{
		Open: func(tb testing.TB, dir string) load.Sink {
			wh, cat := localLake(dir)
			s, err := iceberg.Open(context.Background(), iceberg.Options{Warehouse: wh, Catalog: cat})
			if err != nil {
				tb.Fatal(err)
			}
			return s
		},
		Read: func(tb testing.TB, dir string) *sql.DB {
			wh, cat := localLake(dir)
			db, release, err := iceberg.OpenCatalog(context.Background(), wh, cat, nil)
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { release() })
			return db
		},
	})
}
