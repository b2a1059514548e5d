package iceberg_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/load/iceberg"
	"github.com/syncer/syncer/load/loadtest"
	"github.com/syncer/syncer/schema"
)

// BenchmarkCommitGroups commits 2,000 logins in groups of 200 into a fresh
// warehouse, then re-syncs them (a second day, every login again: the
// nightly case, where each commit reads and rewrites its logins' rows), and
// reports logins/s of each night: into a DuckDB file (the simplest
// alternative, and the embedded default), into a lake on a local directory
// with a SQLite catalog, and into a lake on S3 (versitygw) with a PostgreSQL
// catalog.
//
//	go test ./load/iceberg -run '^$' -bench BenchmarkCommitGroups -benchtime 1x
func BenchmarkCommitGroups(b *testing.B) {
	const logins, group = 2000, 200
	first := loadtest.Batches(11, logins, loadtest.Day1)
	second := loadtest.Batches(11, logins, loadtest.Day2)
	open := map[string]func(b *testing.B) load.Sink{
		"duckdb": func(b *testing.B) load.Sink {
			s, err := duckdb.Open(context.Background(), duckdb.Options{Path: filepath.Join(b.TempDir(), "w.duckdb")})
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
		"iceberg-file": func(b *testing.B) load.Sink {
			wh, cat := localLake(b.TempDir())
			return openLake(b, wh, cat)
		},
		"iceberg-s3": func(b *testing.B) load.Sink {
			wh, cat := s3Lake(b)
			return openLake(b, wh, cat)
		},
	}
	for _, name := range []string{"duckdb", "iceberg-file", "iceberg-s3"} {
		b.Run(name, func(b *testing.B) {
			for range b.N {
				s := open[name](b)
				for night, batches := range [][]schema.Batch{first, second} {
					start := time.Now()
					for i := 0; i < len(batches); i += group {
						if err := s.Commit(context.Background(), batches[i:i+group]); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(logins)/time.Since(start).Seconds(), []string{"first_logins/s", "resync_logins/s"}[night])
				}
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func openLake(b *testing.B, warehouse, catalog string) load.Sink {
	s, err := iceberg.Open(context.Background(), iceberg.Options{Warehouse: warehouse, Catalog: catalog})
	if err != nil {
		b.Fatal(err)
	}
	return s
}
