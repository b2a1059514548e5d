package parquet

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/syncer/syncer/internal/durable"
)

// stagingDir holds each commit's new files until they are renamed into
// place; readers' globs (DIR/<table>/...) never reach it.
const stagingDir = "_staging"

// journalFile lists the renames and removals of a commit being published,
// so a crash in the middle of publishing is rolled forward at the next open.
const journalFile = "_commit.journal"

// stepHook, when set (by the crash test's child process only), is called
// after each durable step of a commit, so the test can kill the process at
// varied points of the protocol.
var stepHook func(step string)

func step(name string) {
	if stepHook != nil {
		stepHook(name)
	}
}

// journal is what a commit publishes: each temp file renamed over its final
// name, and each emptied partition file removed. Paths are dataset-relative.
type journal struct {
	Renames []rename `json:"renames"`
	Removes []string `json:"removes,omitempty"`
}

type rename struct {
	Temp  string `json:"temp"`
	Final string `json:"final"`
}

// publish makes a prepared commit visible: the journal is written durably,
// then every rename and removal is done, the touched directories are synced,
// and the journal is deleted. A crash after the journal is durable is rolled
// forward by recoverJournal, so a commit is published whole or not at all
// (once the dataset is next opened).
func publish(dir string, j journal) error {
	raw, err := json.Marshal(j)
	if err != nil {
		return err
	}
	if err := durable.WriteAtomic(dir, journalFile, raw); err != nil {
		return fmt.Errorf("parquet: write commit journal: %w", err)
	}
	step("journal")
	if err := applyJournal(dir, j); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(dir, journalFile)); err != nil {
		return fmt.Errorf("parquet: remove commit journal: %w", err)
	}
	return durable.SyncDir(dir)
}

// applyJournal does the journal's renames and removals; it is idempotent, so
// a recovery may repeat the steps a crashed publish already did.
func applyJournal(dir string, j journal) error {
	dirs := map[string]bool{}
	for _, r := range j.Renames {
		tmp := filepath.Join(dir, filepath.FromSlash(r.Temp))
		final := filepath.Join(dir, filepath.FromSlash(r.Final))
		if err := os.Rename(tmp, final); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // done before a crash
			}
			return fmt.Errorf("parquet: publish %s: %w", r.Final, err)
		}
		step("rename")
		dirs[filepath.Dir(final)] = true
	}
	for _, rel := range j.Removes {
		final := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.Remove(final); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("parquet: remove %s: %w", rel, err)
		}
		dirs[filepath.Dir(final)] = true
	}
	for d := range dirs {
		if err := durable.SyncDir(d); err != nil {
			return fmt.Errorf("parquet: sync directory: %w", err)
		}
	}
	return nil
}

// recoverJournal rolls forward a commit whose publishing a crash interrupted.
// It reports whether there was one.
func recoverJournal(dir string) (bool, error) {
	raw, err := os.ReadFile(filepath.Join(dir, journalFile))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("parquet: read commit journal: %w", err)
	}
	var j journal
	if err := json.Unmarshal(raw, &j); err != nil {
		// The journal is written atomically, so it is never torn.
		return false, fmt.Errorf("parquet: commit journal: %w", err)
	}
	if err := applyJournal(dir, j); err != nil {
		return true, err
	}
	if err := os.Remove(filepath.Join(dir, journalFile)); err != nil {
		return true, err
	}
	return true, durable.SyncDir(dir)
}

// sweepTemps removes the temp files (and staging directories) a crashed
// writer left behind and returns how many files it removed. Call it after
// recoverJournal, with the lock held.
func sweepTemps(dir string) (int, error) {
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || (!strings.Contains(d.Name(), durable.TempMarker) && !strings.Contains(path, string(filepath.Separator)+stagingDir+string(filepath.Separator))) {
			return nil
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		n++
		return nil
	})
	if err == nil {
		err = os.RemoveAll(filepath.Join(dir, stagingDir))
	}
	return n, err
}
