package load

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/syncer/syncer/internal/durable"
	"github.com/syncer/syncer/schema"
)

// groupJournal is Multi's write-ahead journal: a directory holding, for each
// Commit call not yet in every sink, one entry file with its batches
// (journal_codec.go). Entries are named group-<sequence>.json, so their
// order is the order of the calls; files being written carry durable.TempMarker in
// their name and are never read. The directory is 0700 and the entries 0600,
// like the warehouse files.
//
// A journal has a single writer: the directory must be one the caller's
// first sink locks (cmd/syncer puts it beside the DuckDB file).
type groupJournal struct {
	dir  string
	next uint64 // sequence number of the next entry
}

const (
	journalPrefix = "group-"
	journalSuffix = ".json"
)

// openGroupJournal opens the journal in dir, creating dir (0700) when create
// is set; a missing dir is an empty journal otherwise. It removes the files
// of entries a crash left half-written: they were never renamed into place,
// so no sink saw their batches.
func openGroupJournal(dir string, create bool) (*groupJournal, []string, error) {
	j := &groupJournal{dir: dir, next: 1}
	if create {
		if err := durable.MkdirAll(dir); err != nil {
			return nil, nil, fmt.Errorf("journal: %w", err)
		}
		if err := os.Chmod(dir, durable.DirMode); err != nil {
			return nil, nil, fmt.Errorf("journal: %w", err)
		}
	}
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) && !create {
		return j, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("journal: %w", err)
	}
	var entries []string
	for _, de := range des {
		name := de.Name()
		if strings.Contains(name, durable.TempMarker) {
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				return nil, nil, fmt.Errorf("journal: remove a half-written entry: %w", err)
			}
			continue
		}
		if seq, ok := entrySeq(name); ok {
			entries = append(entries, name)
			j.next = max(j.next, seq+1)
		}
	}
	slices.SortFunc(entries, func(a, b string) int {
		sa, _ := entrySeq(a)
		sb, _ := entrySeq(b)
		return cmp.Compare(sa, sb)
	})
	return j, entries, nil
}

// entrySeq returns the sequence number of an entry's file name.
func entrySeq(name string) (uint64, bool) {
	digits, ok := strings.CutPrefix(name, journalPrefix)
	digits, ok2 := strings.CutSuffix(digits, journalSuffix)
	seq, err := strconv.ParseUint(digits, 10, 64)
	return seq, ok && ok2 && err == nil
}

// path returns the path of an entry.
func (j *groupJournal) path(entry string) string { return filepath.Join(j.dir, entry) }

// write makes the batches a durable entry and returns its name: written to
// a temp file (0600), fsynced, renamed into place, the directory fsynced. On
// error nothing is left behind.
func (j *groupJournal) write(batches []schema.Batch) (entry string, err error) {
	entry = fmt.Sprintf("%s%020d%s", journalPrefix, j.next, journalSuffix)
	tmp := j.path(durable.TempName(entry))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, durable.FileMode)
	if err != nil {
		return "", fmt.Errorf("journal: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := encodeGroup(f, batches); err != nil {
		return "", err // a *ValueError, or the write's error
	}
	if err := f.Chmod(durable.FileMode); err != nil {
		return "", fmt.Errorf("journal: %w", err)
	}
	if err := f.Sync(); err != nil {
		return "", fmt.Errorf("journal: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("journal: %w", err)
	}
	if err := os.Rename(tmp, j.path(entry)); err != nil {
		return "", fmt.Errorf("journal: %w", err)
	}
	if err := durable.SyncDir(j.dir); err != nil {
		os.Remove(j.path(entry))
		return "", fmt.Errorf("journal: %w", err)
	}
	j.next++
	return entry, nil
}

// read returns the batches of an entry.
func (j *groupJournal) read(entry string) ([]schema.Batch, error) {
	data, err := os.ReadFile(j.path(entry))
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	batches, err := decodeGroup(data)
	if err != nil {
		return nil, fmt.Errorf("journal: %s: %w", j.path(entry), err)
	}
	return batches, nil
}

// remove deletes an entry durably.
func (j *groupJournal) remove(entry string) error {
	if err := os.Remove(j.path(entry)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("journal: %w", err)
	}
	if err := durable.SyncDir(j.dir); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}
