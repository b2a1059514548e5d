package parquet

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/schema"
)

var _ load.Forgetter = (*Sink)(nil)

// Forget deletes loginID's rows from every table that names logins and
// records the erasure (record's batch), as one commit: every file holding
// a row of the login is rewritten without it (or removed when nothing else
// is left in it), the erasures file gains its row, and all of it is
// published through the commit journal, so a crash publishes all of it or
// none (see load.Forgetter, and Sink for the protocol). The files the
// login's rows were in are found by its bucket: only those are read.
func (p *Sink) Forget(ctx context.Context, loginID string, record func(removed map[string]int64) schema.Batch) (removed map[string]int64, err error) {
	if _, err := recoverJournal(p.dir); err != nil {
		return nil, err
	}
	staging, err := p.newStaging()
	if err != nil {
		return nil, err
	}
	var j journal
	defer func() {
		if err != nil {
			for _, r := range j.Renames {
				os.Remove(p.abs(r.Temp))
			}
		}
		os.RemoveAll(p.abs(staging))
		p.removeStaging()
	}()
	removed = map[string]int64{}
	for _, tl := range p.tables {
		if tl.table.Index("login_id") < 0 {
			continue
		}
		tj, n, err := p.forgetIn(ctx, tl, loginID, staging)
		if err != nil {
			return nil, err
		}
		removed[tl.table.Name] = n
		j.Renames, j.Removes = append(j.Renames, tj.Renames...), append(j.Removes, tj.Removes...)
	}
	batch := record(removed)
	if err := load.CheckBatches([]schema.Batch{batch}); err != nil {
		return nil, err
	}
	var files []string
	for _, tl := range p.tables {
		prep, err := p.prepareTable(ctx, tl, []schema.Batch{batch}, staging)
		j.Renames, j.Removes = append(j.Renames, prep.Renames...), append(j.Removes, prep.Removes...)
		if err != nil {
			return nil, err
		}
	}
	for _, r := range j.Renames {
		files = append(files, r.Final)
	}
	manifests, err := p.prepareManifests([]schema.Batch{batch}, files, j.Removes)
	j.Renames = append(j.Renames, manifests...)
	if err != nil {
		return nil, err
	}
	if err := publish(p.dir, j); err != nil {
		if recovered, rerr := recoverJournal(p.dir); rerr != nil || !recovered {
			return nil, err
		}
	}
	for _, r := range j.Renames {
		p.written[r.Final] = true
	}
	for _, rel := range j.Removes {
		delete(p.written, rel)
	}
	return removed, nil
}

// forgetIn writes, under staging, the files of tl that hold loginID's rows
// without them, and returns the renames and removals that publish them and
// how many rows they drop.
func (p *Sink) forgetIn(ctx context.Context, tl tableLayout, loginID, staging string) (journal, int64, error) {
	t := tl.table
	paths, err := p.loginFiles(tl, loginID)
	if err != nil || len(paths) == 0 {
		return journal{}, 0, err
	}
	existing := make(map[string]int32, len(paths))
	allOurs := true
	for id, rel := range paths {
		existing[p.abs(rel)] = int32(id)
		allOurs = allOurs && p.written[rel]
	}
	if err := p.engine.ReadFiles(ctx, t, existing, allOurs); err != nil {
		return journal{}, 0, fmt.Errorf("parquet: read %s: %w", t.Name, err)
	}
	n, err := p.engine.CountLogin(ctx, loginID)
	if err != nil || n == 0 {
		return journal{}, 0, err
	}
	out := path.Join(staging, t.Name)
	if err := p.engine.WriteWithout(ctx, t, loginID, p.abs(out)); err != nil {
		return journal{}, 0, fmt.Errorf("parquet: write %s: %w", t.Name, err)
	}
	j, err := p.publishWritten(t, out, paths, existing)
	return j, n, err
}

// loginFiles returns the dataset-relative paths of tl's files that may
// hold rows of loginID: its bucket's file in every partition (or the
// table's one file, for a table not bucketed by login). The empty file a
// partitioned table keeps under its null partition holds no rows and is
// not among them.
func (p *Sink) loginFiles(tl tableLayout, loginID string) ([]string, error) {
	parts := []string{tl.table.Name}
	for range tl.hive {
		parts = append(parts, "*")
	}
	name := "data.parquet"
	if tl.loginAt >= 0 {
		name = fmt.Sprintf("part-b%03d.parquet", p.layout.bucket(loginID))
	}
	matches, err := filepath.Glob(p.abs(path.Join(append(parts, name)...)))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range matches {
		rel, err := filepath.Rel(p.dir, m)
		if err != nil {
			return nil, err
		}
		if rel = filepath.ToSlash(rel); !strings.Contains(rel, hiveNull) {
			out = append(out, rel)
		}
	}
	return out, nil
}
