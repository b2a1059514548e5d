package iceberg

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/apache/iceberg-go/table"
	"github.com/apache/iceberg-go/table/compaction"

	"github.com/syncer/syncer/internal/logs"
	"github.com/syncer/syncer/schema"
)

// Maintenance defaults (`syncer lake maintain`), each defined here once.
const (
	// DefaultTargetFileSize is the size compaction packs data files to.
	DefaultTargetFileSize = 128 << 20
	// DefaultExpireAfter is how long a snapshot stays readable (time
	// travel, a reader's consistent view) after a newer one replaced it.
	DefaultExpireAfter = 7 * 24 * time.Hour
	// DefaultOrphanAge is how old a file no snapshot names must be before
	// it is deleted: far longer than any commit takes, so the files of a
	// shard's commit still in flight are never taken for orphans.
	DefaultOrphanAge = 24 * time.Hour
)

// MaintainOptions configure Maintain.
type MaintainOptions struct {
	Warehouse, Catalog string
	// TargetFileSize, ExpireAfter and OrphanAge: the Default* values if 0.
	TargetFileSize int64
	ExpireAfter    time.Duration
	OrphanAge      time.Duration
	Logger         *slog.Logger
}

// TableMaintenance is what Maintain did to one table.
type TableMaintenance struct {
	Table              string `json:"table"`
	FilesBefore        int    `json:"data_files_before"`
	BytesBefore        int64  `json:"data_bytes_before"`
	FilesAfter         int    `json:"data_files_after"`
	BytesAfter         int64  `json:"data_bytes_after"`
	SnapshotsExpired   int    `json:"snapshots_expired"`
	OrphansDeleted     int    `json:"orphan_files_deleted"`
	OrphanBytes        int64  `json:"orphan_bytes_deleted"`
	ManifestsRewritten int    `json:"manifests_rewritten"`
	ManifestsWritten   int    `json:"manifests_written"`
	CompactionRetries  int    `json:"compaction_retries"`
}

// Maintain compacts each table's small data files and its manifests, expires its snapshots
// older than ExpireAfter (always keeping the current one) and deletes the
// files under its location that no snapshot names and that are older than
// OrphanAge (those of failed commits, and those only expired snapshots
// named). It is safe while syncers commit: a
// compaction that loses the race to a commit plans again on the new
// snapshot, and a commit that loses the race to a compaction merges again.
func Maintain(ctx context.Context, o MaintainOptions) ([]TableMaintenance, error) {
	if o.TargetFileSize == 0 {
		o.TargetFileSize = DefaultTargetFileSize
	}
	if o.ExpireAfter == 0 {
		o.ExpireAfter = DefaultExpireAfter
	}
	if o.OrphanAge == 0 {
		o.OrphanAge = DefaultOrphanAge
	}
	log := logs.OrDiscard(o.Logger)
	l, err := openCatalog(ctx, o.Catalog, o.Warehouse, nil)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	ctx = l.bind(ctx)
	var out []TableMaintenance
	for _, t := range schema.Tables {
		m, err := maintainTable(ctx, l, t, o)
		if err != nil {
			return out, fmt.Errorf("iceberg: maintaining %s.%s: %w", Namespace, t.Name, err)
		}
		log.Info("table maintained", "table", t.Name, "files_before", m.FilesBefore, "files_after", m.FilesAfter,
			"snapshots_expired", m.SnapshotsExpired, "orphans_deleted", m.OrphansDeleted)
		out = append(out, m)
	}
	return out, nil
}

func maintainTable(ctx context.Context, l *lake, t *schema.Table, o MaintainOptions) (TableMaintenance, error) {
	m := TableMaintenance{Table: t.Name}
	tbl, err := l.cat.LoadTable(ctx, identifier(t))
	if err != nil {
		return m, err
	}
	if m.FilesBefore, m.BytesBefore, err = dataFiles(ctx, tbl); err != nil {
		return m, err
	}
	if err := compact(ctx, l, t, o.TargetFileSize, &m); err != nil {
		return m, fmt.Errorf("compaction: %w", err)
	}
	if err := rewriteManifests(ctx, l, t, &m); err != nil {
		return m, fmt.Errorf("rewriting manifests: %w", err)
	}
	if err := expire(ctx, l, t, o.ExpireAfter, &m); err != nil {
		return m, fmt.Errorf("expiring snapshots: %w", err)
	}
	if tbl, err = l.cat.LoadTable(ctx, identifier(t)); err != nil {
		return m, err
	}
	res, err := tbl.DeleteOrphanFiles(ctx, table.WithFilesOlderThan(o.OrphanAge))
	if err != nil {
		return m, fmt.Errorf("deleting orphan files: %w", err)
	}
	m.OrphansDeleted, m.OrphanBytes = len(res.DeletedFiles), res.TotalSizeBytes
	m.FilesAfter, m.BytesAfter, err = dataFiles(ctx, tbl)
	return m, err
}

// dataFiles counts the data files of tbl's current snapshot and their bytes.
func dataFiles(ctx context.Context, tbl *table.Table) (files int, bytes int64, err error) {
	if tbl.CurrentSnapshot() == nil {
		return 0, 0, nil
	}
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, task := range tasks {
		files++
		bytes += task.File.FileSizeBytes()
	}
	return files, bytes, nil
}

// compact bin-packs the table's data files smaller than 3/4 of target into
// files of about target, partition by partition, in one commit, planning
// again on a fresh snapshot when a syncer's commit won the race.
func compact(ctx context.Context, l *lake, t *schema.Table, target int64, m *TableMaintenance) error {
	cfg := compaction.DefaultConfig()
	cfg.TargetFileSizeBytes = target
	cfg.MinFileSizeBytes = target * 3 / 4
	cfg.MaxFileSizeBytes = target * 9 / 5
	cfg.MinInputFiles = 2
	for attempt := 1; ; attempt++ {
		tbl, err := l.cat.LoadTable(ctx, identifier(t))
		if err != nil || tbl.CurrentSnapshot() == nil {
			return err
		}
		plan, err := compaction.Analyze(ctx, tbl, cfg)
		if err != nil || len(plan.Groups) == 0 {
			return err
		}
		groups := make([]table.CompactionTaskGroup, len(plan.Groups))
		for i, g := range plan.Groups {
			groups[i] = table.CompactionTaskGroup{PartitionKey: g.PartitionKey, Tasks: g.Tasks, TotalSizeBytes: g.TotalSizeBytes}
		}
		_, err = tbl.RewriteDataFiles(ctx, groups, table.RewriteDataFilesOptions{})
		if err == nil || !isConflict(err) || attempt == maxAttempts {
			return err
		}
		m.CompactionRetries++
	}
}

// rewriteManifests packs the manifests the table's commits left (each
// commit adds a few, and every commit's planning reads them all) into few
// manifests of the default target size, in one commit, again on a fresh
// snapshot when a syncer's commit won the race.
func rewriteManifests(ctx context.Context, l *lake, t *schema.Table, m *TableMaintenance) error {
	for attempt := 1; ; attempt++ {
		tbl, err := l.cat.LoadTable(ctx, identifier(t))
		if err != nil || tbl.CurrentSnapshot() == nil {
			return err
		}
		tx := tbl.NewTransaction()
		res, err := tx.RewriteManifests(ctx)
		if err != nil || res.IsNoOp() {
			return err
		}
		if _, err = tx.Commit(ctx); err == nil {
			m.ManifestsRewritten, m.ManifestsWritten = len(res.RewrittenManifests), len(res.AddedManifests)
			return nil
		}
		if !isConflict(err) || attempt == maxAttempts {
			return err
		}
		m.CompactionRetries++
	}
}

// expire expires the table's snapshots older than after, keeping the
// current one.
func expire(ctx context.Context, l *lake, t *schema.Table, after time.Duration, m *TableMaintenance) error {
	for attempt := 1; ; attempt++ {
		tbl, err := l.cat.LoadTable(ctx, identifier(t))
		if err != nil || tbl.CurrentSnapshot() == nil {
			return err
		}
		before := len(tbl.Metadata().Snapshots())
		tx := tbl.NewTransaction()
		// The files only expired snapshots named are left to the orphan
		// pass, which deletes them once older than OrphanAge: deleting
		// them at once would race readers still on those snapshots (and
		// another maintenance pass deleting the same files).
		if err := tx.ExpireSnapshots(table.WithOlderThan(after), table.WithRetainLast(1), table.WithPostCommit(false)); err != nil {
			return err
		}
		done, err := tx.Commit(ctx)
		if err == nil {
			m.SnapshotsExpired = before - len(done.Metadata().Snapshots())
			return nil
		}
		if !isConflict(err) || attempt == maxAttempts {
			return err
		}
	}
}
