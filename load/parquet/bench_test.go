package parquet

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/syncer/syncer/internal/durable"
	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/schema"
)

// benchGroup builds the batches of logins [from, to): each login has 4
// accounts of 25 positions on one as-of date (100 position rows) and its
// account rows.
func benchGroup(from, to int) []schema.Batch {
	var out []schema.Batch
	for i := from; i < to; i++ {
		login := fmt.Sprintf("login-%05d", i)
		b := schema.Batch{RunID: "run-bench", LoginID: login, Rows: map[string][]schema.Row{}, Scopes: map[string][]schema.Row{
			"positions": {{login, day("2025-01-31")}}}}
		for a := range 4 {
			acct := fmt.Sprintf("A%d", a)
			b.Rows["accounts"] = append(b.Rows["accounts"], accountRow(login, acct, "1000.01"))
			for s := range 25 {
				b.Rows["positions"] = append(b.Rows["positions"], positionRow(login, acct, fmt.Sprintf("SEC%03d", s), "2025-01-31", fmt.Sprintf("%d.123456789", i+s)))
			}
		}
		out = append(out, b)
	}
	return out
}

// BenchmarkParquet1MPositions commits 1M position rows (10k logins of 100,
// one as-of date, 16 login buckets) in groups of 500 or 2000 logins, into the
// overwrite-partition layout, and, for comparison, the simplest alternative:
// one new file per table per commit, no merge (which a reader's glob would
// see duplicated on a re-run).
//
//	go test -run '^$' -bench BenchmarkParquet1MPositions -benchtime 1x ./load/parquet/
//
// rows/s counts position rows; peak_rss_MB is the process's VmHWM (run one
// sub-benchmark at a time for a clean figure).
func BenchmarkParquet1MPositions(b *testing.B) {
	logins := 10_000
	if testing.Short() {
		logins = 1_000
	}
	for _, c := range []struct {
		mode  string
		group int
	}{{"overwrite-partitions", 500}, {"overwrite-partitions", 2000}, {"append-file-per-commit", 500}} {
		mode, group := c.mode, c.group
		b.Run(fmt.Sprintf("%s/group=%d", mode, group), func(b *testing.B) {
			for range b.N {
				dir := b.TempDir()
				p := openTest(b, dir, DefaultBuckets)
				for from := 0; from < logins; from += group {
					b.StopTimer()
					batches := benchGroup(from, from+group)
					b.StartTimer()
					if mode == "append-file-per-commit" {
						appendFilePerCommit(b, p, batches, from)
					} else {
						commit(b, p, batches...)
					}
				}
				b.StopTimer()
				if err := p.Close(); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(datasetBytes(b, dir))/1e6, "dataset_MB")
				b.StartTimer()
			}
			b.ReportMetric(float64(logins*100*b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(peakRSSMB(), "peak_rss_MB")
		})
	}
}

// appendFilePerCommit is the baseline: stage the positions and accounts and
// write each as one new file per commit, merged over nothing (no read of the
// files already there).
func appendFilePerCommit(b *testing.B, p *Sink, batches []schema.Batch, n int) {
	ctx := context.Background()
	for _, t := range []*schema.Table{schema.Accounts, schema.Positions} {
		err := p.engine.StageRows(ctx, t, func(add func(values []any, file, batch int32) error) error {
			vals := make([]any, len(t.Columns))
			for bi, bt := range batches {
				for _, row := range bt.Rows[t.Name] {
					for i, c := range t.Columns {
						vals[i], _ = load.Value(c, row[i])
					}
					if err := add(vals, 0, int32(bi)); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if t.Scoped() {
			if err := p.engine.StageScopes(ctx, t, func(func([]any, int32) error) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
		if err := p.engine.ReadFiles(ctx, t, nil, true); err != nil {
			b.Fatal(err)
		}
		out := filepath.Join(p.dir, stagingDir, fmt.Sprintf("bench-%06d-%s", n, t.Name))
		if err := p.engine.Write(ctx, t, out); err != nil {
			b.Fatal(err)
		}
		written, err := filepath.Glob(filepath.Join(out, "_pid=0", "*.parquet"))
		if err != nil || len(written) != 1 {
			b.Fatalf("the engine wrote %v: %v", written, err)
		}
		path := filepath.Join(p.dir, t.Name, fmt.Sprintf("commit-%06d.parquet", n))
		if err := durable.MkdirAll(filepath.Dir(path)); err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(written[0], path); err != nil {
			b.Fatal(err)
		}
		if err := durable.SyncFile(path); err != nil {
			b.Fatal(err)
		}
		os.RemoveAll(out)
	}
}

func datasetBytes(b *testing.B, dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return n
}

// peakRSSMB is the process's peak resident set (VmHWM), in MB.
func peakRSSMB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}
