package load_test

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/load/loadtest"
	"github.com/syncer/syncer/schema"
)

// nopSink takes every commit and keeps nothing; it notes the size of the
// journal's files while it commits.
type nopSink struct {
	journal string
	size    *int64
}

func (s nopSink) Commit(context.Context, []schema.Batch) error {
	des, _ := os.ReadDir(s.journal)
	for _, de := range des {
		if fi, err := de.Info(); err == nil {
			*s.size = fi.Size()
		}
	}
	return nil
}

func (nopSink) Close() error { return nil }

// BenchmarkMultiJournal measures what the journal adds to each Multi commit
// of a group of 1000 generated logins (the pipeline's group size with
// --parquet): encoding the group, writing it durably and deleting it. The
// sinks do nothing, so the figure is the journal's alone.
//
//	go test ./load -run '^$' -bench MultiJournal -benchtime 10x
func BenchmarkMultiJournal(b *testing.B) {
	batches := loadtest.Batches(1, 1000, loadtest.Day1)
	dir, size := b.TempDir(), int64(0)
	m, err := load.OpenMulti(context.Background(), load.MultiOptions{Journal: dir}, nopSink{dir, &size}, nopSink{dir, &size})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	rows := 0
	for _, bt := range batches {
		for _, r := range bt.Rows {
			rows += len(r)
		}
	}
	cpu0 := cpuTime()
	for b.Loop() {
		if err := m.Commit(context.Background(), batches); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/group")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/group")
	b.ReportMetric(float64(rows), "rows/group")
	b.ReportMetric(float64(size)/1e6, "MB/group")
}

// cpuTime is the process's user and system CPU time so far: on a shared
// machine it measures the work better than the wall clock does.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
